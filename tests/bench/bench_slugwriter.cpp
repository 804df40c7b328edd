// Compares SlugWriter with `tar -C dir -czf out .` (gzip level 6 for both) on a generated
// tree shaped like a built Node app: many small source files and some larger, partly
// compressible binaries. Usage: bench_slugwriter [size in MB, default 80]
// (80 MB keeps the whole run under a minute on a busy two-core machine, where gzip manages
// about 11 MB/s.)

#include "slug/SlugWriter.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

using namespace Qt::StringLiterals;

namespace {

constexpr qint64 Megabyte = 1024 * 1024;
constexpr int Runs = 3;

struct Tree
{
    qint64 bytes = 0;
    int files = 0;
};

// Pseudo source code: lines of identifiers and punctuation from a small vocabulary, drawn
// from a pool so that lines repeat the way they do in real code. Compresses about 4-5x,
// like real JavaScript.
class SourceText
{
public:
    explicit SourceText(std::mt19937_64 &random)
        : m_random(random)
    {
        static const char *const words[] = {
            "function", "return",    "const",  "let",     "if",       "else",      "for",
            "while",    "this",      "new",    "module",  "exports",  "require",   "async",
            "await",    "Promise",   "value",  "options", "callback", "error",     "result",
            "request",  "response",  "buffer", "length",  "index",    "object",    "string",
            "number",   "undefined", "null",   "true",    "false",    "prototype", "push",
            "map",      "filter",    "reduce", "keys",    "handler",  "config",    "state",
            "=",        "===",       "(",      ")",       "{",        "}",         ";",
            ",",        ".",         "=>",     "+",       "&&",       "||",        "!"};
        constexpr size_t wordCount = sizeof(words) / sizeof(words[0]);
        for (int i = 0; i < 4000; ++i) {
            QByteArray line(qsizetype(m_random() % 4) * 2, ' ');
            const int length = 3 + int(m_random() % 10);
            for (int w = 0; w < length; ++w) {
                const std::uint64_t bits = m_random();
                line += words[bits % wordCount];
                if ((bits >> 32) % 5 == 0)
                    line += QByteArray::number(qulonglong((bits >> 40) % 1000));
                line += ' ';
            }
            line += '\n';
            m_lines.push_back(line);
        }
    }

    QByteArray generate(qint64 size)
    {
        QByteArray text;
        text.reserve(size + 256);
        // Each file leans on a few hundred lines of the pool, like a module on its own
        // names.
        const size_t base = m_random() % (m_lines.size() - 300);
        while (text.size() < size) {
            const std::uint64_t bits = m_random();
            text += bits % 4 == 0 ? m_lines[(bits >> 8) % m_lines.size()]
                                  : m_lines[base + (bits >> 8) % 300];
        }
        text.truncate(size);
        return text;
    }

private:
    std::mt19937_64 &m_random;
    std::vector<QByteArray> m_lines;
};

// Binary-ish data: alternating runs of random bytes and of a small alphabet, roughly half
// compressible like images, fonts and native modules together.
QByteArray binaryData(std::mt19937_64 &random, qint64 size)
{
    QByteArray data(size, Qt::Uninitialized);
    qint64 at = 0;
    bool noisy = true;
    while (at < size) {
        const qint64 run = std::min<qint64>(size - at, 2048 + qint64(random() % 8192));
        for (qint64 i = 0; i < run; i += 8) {
            std::uint64_t bits = random();
            if (!noisy)
                bits &= 0x0303030303030303ULL;
            const qint64 count = std::min<qint64>(8, run - i);
            std::memcpy(data.data() + at + i, &bits, size_t(count));
        }
        at += run;
        noisy = !noisy;
    }
    return data;
}

bool writeFile(const QString &path, const QByteArray &contents)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(contents) == contents.size();
}

Tree generateTree(const QString &root, qint64 targetBytes)
{
    std::mt19937_64 random(20240601);
    SourceText source(random);
    Tree tree;
    const qint64 sourceBytes = targetBytes * 6 / 10;

    int package = 0;
    while (tree.bytes < sourceBytes) {
        const QString folder = u"%1/node_modules/package-%2/lib"_s.arg(root).arg(package++);
        QDir().mkpath(folder);
        const int files = 5 + int(random() % 40);
        for (int i = 0; i < files && tree.bytes < sourceBytes; ++i) {
            // Mostly a few KB, now and then a bundle of a few hundred.
            const qint64 size = random() % 10 == 0 ? 20000 + qint64(random() % 200000)
                                                   : 300 + qint64(random() % 12000);
            writeFile(u"%1/module-%2.js"_s.arg(folder).arg(i), source.generate(size));
            tree.bytes += size;
            ++tree.files;
        }
        if (package % 10 == 0)
            QFile::link(u"lib/module-0.js"_s, u"%1/../index.js"_s.arg(folder));
    }

    QDir().mkpath(root + u"/assets"_s);
    for (int i = 0; tree.bytes < targetBytes; ++i) {
        const qint64 size = std::min<qint64>(targetBytes - tree.bytes,
                                             Megabyte + qint64(random() % (5 * Megabyte)));
        const QString path = u"%1/assets/blob-%2.bin"_s.arg(root).arg(i);
        writeFile(path, binaryData(random, size));
        if (i % 3 == 0)
            QFile::setPermissions(path, QFile::permissions(path) | QFile::ExeOwner);
        tree.bytes += size;
        ++tree.files;
    }
    return tree;
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

double megabytes(qint64 bytes)
{
    return double(bytes) / Megabyte;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList arguments = app.arguments();
    bool sizeOk = true;
    const qint64 sizeMegabytes = arguments.size() > 1 ? arguments.at(1).toLongLong(&sizeOk) : 80;
    if (!sizeOk || sizeMegabytes <= 0) {
        std::fprintf(stderr, "usage: bench_slugwriter [size in MB]\n");
        return 2;
    }

    QTemporaryDir work;
    if (!work.isValid()) {
        std::fprintf(stderr, "cannot create a temporary folder\n");
        return 1;
    }
    const QString tree = work.filePath(u"app"_s);
    QElapsedTimer timer;
    timer.start();
    const Tree generated = generateTree(tree, sizeMegabytes * Megabyte);
    std::printf("tree: %d files, %.1f MB, generated in %.1f s\n", generated.files,
                megabytes(generated.bytes), double(timer.elapsed()) / 1000);

    const QString slugPath = work.filePath(u"slug.tgz"_s);
    const QString tarPath = work.filePath(u"tar.tgz"_s);
    std::vector<double> slipwayTimes;
    std::vector<double> tarTimes;
    qint64 slugSize = 0;
    for (int run = 0; run < Runs; ++run) {
        // Alternating, so neither side always runs on a warmer cache.
        timer.restart();
        QProcess tar;
        tar.start(u"tar"_s, {u"-C"_s, tree, u"-czf"_s, tarPath, u"."_s});
        if (!tar.waitForFinished(-1) || tar.exitCode() != 0) {
            std::fprintf(stderr, "tar failed: %s\n", tar.readAllStandardError().constData());
            return 1;
        }
        tarTimes.push_back(double(timer.nsecsElapsed()) / 1e9);

        timer.restart();
        const Slipway::Result<Slipway::Slug> slug = Slipway::SlugWriter::write(tree, slugPath);
        slipwayTimes.push_back(double(timer.nsecsElapsed()) / 1e9);
        if (!slug) {
            std::fprintf(stderr, "SlugWriter failed: %s\n", qPrintable(slug.error().message));
            return 1;
        }
        slugSize = slug->sizeBytes;
    }

    QProcess check;
    check.start(u"gzip"_s, {u"-t"_s, slugPath});
    if (!check.waitForFinished(-1) || check.exitCode() != 0) {
        std::fprintf(stderr, "the slug is not valid gzip: %s\n",
                     check.readAllStandardError().constData());
        return 1;
    }

    const double slipway = median(slipwayTimes);
    const double tarTime = median(tarTimes);
    const double input = megabytes(generated.bytes);
    std::printf("slug_write: slipway %.2f s (%.0f MB/s), tar -czf %.2f s (%.0f MB/s), ratio %.2fx "
                "(goal >= 1.0); sizes %.1f MB vs %.1f MB\n",
                slipway, input / slipway, tarTime, input / tarTime, tarTime / slipway,
                megabytes(slugSize), megabytes(QFileInfo(tarPath).size()));
    return 0;
}
