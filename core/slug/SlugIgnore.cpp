#include "SlugIgnore.h"

#include "archive/DirectoryCleaner.h"

#include <QDir>
#include <QFileInfo>

using namespace Qt::StringLiterals;

namespace Slipway {

namespace {

// Index of the ']' closing the bracket expression opened at `open`, or -1. As in fnmatch,
// a ']' right after "[" or "[!" belongs to the set.
qsizetype closingBracket(QStringView glob, qsizetype open)
{
    qsizetype i = open + 1;
    if (i < glob.size() && (glob.at(i) == u'!' || glob.at(i) == u'^'))
        ++i;
    if (i < glob.size() && glob.at(i) == u']')
        ++i;
    for (; i < glob.size(); ++i) {
        if (glob.at(i) == u']')
            return i;
    }
    return -1;
}

QString bracketExpression(QStringView glob, qsizetype open, qsizetype close)
{
    qsizetype i = open + 1;
    const bool negated = glob.at(i) == u'!' || glob.at(i) == u'^';
    if (negated)
        ++i;
    QString set;
    for (; i < close; ++i) {
        const QChar c = glob.at(i);
        // '-' keeps its range meaning; what a regular expression would read differently
        // inside a class is escaped.
        if (c == u'\\' || c == u'[' || c == u']' || c == u'^')
            set += u'\\';
        set += c;
    }
    // A '/' separates components and is never matched by a set, negated or not.
    return negated ? u"[^/"_s + set + u']' : u"(?!/)["_s + set + u']';
}

QRegularExpression globExpression(QStringView glob)
{
    QString pattern;
    for (qsizetype i = 0; i < glob.size(); ++i) {
        const QChar c = glob.at(i);
        if (c == u'*') {
            if (i + 1 < glob.size() && glob.at(i + 1) == u'*') {
                const bool startsComponent = i == 0 || glob.at(i - 1) == u'/';
                while (i + 1 < glob.size() && glob.at(i + 1) == u'*')
                    ++i;
                if (startsComponent && i + 1 < glob.size() && glob.at(i + 1) == u'/') {
                    // "**/" stands for any number of folders, none included.
                    pattern += u"(?:.*/)?"_s;
                    ++i;
                } else {
                    pattern += u".*"_s;
                }
            } else {
                pattern += u"[^/]*"_s;
            }
        } else if (c == u'?') {
            pattern += u"[^/]"_s;
        } else if (c == u'[' && closingBracket(glob, i) > 0) {
            const qsizetype close = closingBracket(glob, i);
            pattern += bracketExpression(glob, i, close);
            i = close;
        } else if (c == u'\\' && i + 1 < glob.size()) {
            ++i;
            pattern += QRegularExpression::escape(glob.sliced(i, 1).toString());
        } else {
            pattern += QRegularExpression::escape(QString(c));
        }
    }
    return QRegularExpression(QRegularExpression::anchoredPattern(pattern));
}

QString normalizedRelative(const QString &path)
{
    QString cleaned = QDir::cleanPath(path);
    while (cleaned.startsWith(u"./"_s))
        cleaned.remove(0, 2);
    while (cleaned.startsWith(u'/'))
        cleaned.remove(0, 1);
    return cleaned == u"."_s ? QString() : cleaned;
}

} // namespace

SlugIgnore SlugIgnore::parse(const QByteArray &contents)
{
    SlugIgnore ignore;
    QString text = QString::fromUtf8(contents);
    if (text.startsWith(QChar(0xFEFF)))
        text.remove(0, 1);

    const QStringList lines = text.split(u'\n');
    for (const QString &line : lines) {
        QString glob = line.trimmed(); // also drops the '\r' of CRLF files
        if (glob.isEmpty() || glob.startsWith(u'#') || glob.startsWith(u'!'))
            continue;

        Pattern pattern;
        pattern.text = glob;
        while (glob.endsWith(u'/')) {
            pattern.directoriesOnly = true;
            glob.chop(1);
        }
        pattern.anchored = glob.contains(u'/');
        while (glob.startsWith(u'/') || glob.startsWith(u"./"_s))
            glob.remove(0, glob.startsWith(u'/') ? 1 : 2);
        if (glob.isEmpty())
            continue;
        pattern.expression = globExpression(glob);
        ignore.m_patterns.append(std::move(pattern));
    }
    return ignore;
}

bool SlugIgnore::isEmpty() const
{
    return m_patterns.isEmpty();
}

QStringList SlugIgnore::patterns() const
{
    QStringList texts;
    for (const Pattern &pattern : m_patterns)
        texts.append(pattern.text);
    return texts;
}

bool SlugIgnore::matches(const QString &relativePath, bool isDirectory) const
{
    const QString path = normalizedRelative(relativePath);
    if (path.isEmpty() || m_patterns.isEmpty())
        return false;
    // Anything under a matching folder matches too.
    const QStringList components = path.split(u'/');
    QString prefix;
    for (qsizetype i = 0; i < components.size(); ++i) {
        prefix = i == 0 ? components.at(i) : prefix + u'/' + components.at(i);
        const bool prefixIsDirectory = i + 1 < components.size() || isDirectory;
        if (matchesEntry(prefix, prefixIsDirectory))
            return true;
    }
    return false;
}

bool SlugIgnore::matchesEntry(const QString &relativePath, bool isDirectory) const
{
    const QString name = relativePath.section(u'/', -1);
    for (const Pattern &pattern : m_patterns) {
        if (pattern.directoriesOnly && !isDirectory)
            continue;
        if (pattern.expression.match(pattern.anchored ? relativePath : name).hasMatch())
            return true;
    }
    return false;
}

Result<QStringList> SlugIgnore::apply(const QString &appDirectory) const
{
    QStringList removed;
    if (m_patterns.isEmpty())
        return removed;
    const QFileInfo root(appDirectory);
    if (!root.isDir())
        return failure(u"Cannot apply .slugignore: %1 is not a folder."_s.arg(appDirectory));
    if (auto applied = applyIn(root.absoluteFilePath(), {}, removed); !applied)
        return std::unexpected(applied.error());
    return removed;
}

Result<> SlugIgnore::applyIn(const QString &appDirectory, const QString &relativeFolder,
                             QStringList &removed) const
{
    const QDir folder(relativeFolder.isEmpty() ? appDirectory
                                               : appDirectory + u'/' + relativeFolder);
    const QFileInfoList entries = folder.entryInfoList(
        QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDir::Name);
    for (const QFileInfo &entry : entries) {
        const QString relative =
            relativeFolder.isEmpty() ? entry.fileName() : relativeFolder + u'/' + entry.fileName();
        // A symlink is a leaf here, whatever it points to.
        const bool isDirectory = entry.isDir() && !entry.isSymLink();
        if (matchesEntry(relative, isDirectory)) {
            if (auto gone = DirectoryCleaner::removePath(entry.filePath()); !gone)
                return gone;
            removed.append(relative);
        } else if (isDirectory) {
            if (auto applied = applyIn(appDirectory, relative, removed); !applied)
                return applied;
        }
    }
    return {};
}

} // namespace Slipway
