#include "source/RecentSources.h"

#include <QSettings>

namespace Slipway {

namespace {
QString keyFor(const QString &app)
{
    return QStringLiteral("recentSources/") + app;
}
} // namespace

QList<SourceSelection> RecentSources::forApp(const QString &app)
{
    QList<SourceSelection> sources;
    for (const QString &line : QSettings().value(keyFor(app)).toStringList()) {
        const SourceSelection source = SourceSelection::deserialize(line);
        if (source.kind != SourceSelection::Kind::None)
            sources.append(source);
    }
    return sources;
}

void RecentSources::remember(const QString &app, const SourceSelection &source)
{
    if (!source.isValid() || app.isEmpty())
        return;
    QStringList lines = QSettings().value(keyFor(app)).toStringList();
    lines.removeAll(source.serialize());
    lines.prepend(source.serialize());
    while (lines.size() > Kept)
        lines.removeLast();
    QSettings().setValue(keyFor(app), lines);
}

void RecentSources::forget(const QString &app)
{
    QSettings().remove(keyFor(app));
}

} // namespace Slipway
