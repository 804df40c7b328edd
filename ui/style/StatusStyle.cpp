#include "style/StatusStyle.h"

#include <QHash>

namespace Slipway {

StatusFamily StatusStyle::family(const QString &word)
{
    static const QHash<QString, StatusFamily> families = {
        {QStringLiteral("queued"), StatusFamily::Waiting},
        {QStringLiteral("created"), StatusFamily::Waiting},
        {QStringLiteral("new"), StatusFamily::Waiting},
        {QStringLiteral("building"), StatusFamily::Active},
        {QStringLiteral("pushing"), StatusFamily::Active},
        {QStringLiteral("starting"), StatusFamily::Active},
        {QStringLiteral("deploying"), StatusFamily::Active},
        {QStringLiteral("probing"), StatusFamily::Active},
        {QStringLiteral("stopping"), StatusFamily::Active},
        {QStringLiteral("draining"), StatusFamily::Active},
        {QStringLiteral("success"), StatusFamily::Good},
        {QStringLiteral("ready"), StatusFamily::Good},
        {QStringLiteral("serving"), StatusFamily::Good},
        {QStringLiteral("running"), StatusFamily::Good},
        {QStringLiteral("build-error"), StatusFamily::Bad},
        {QStringLiteral("crashed-error"), StatusFamily::Bad},
        {QStringLiteral("timeout-error"), StatusFamily::Bad},
        {QStringLiteral("hook-error"), StatusFamily::Bad},
        {QStringLiteral("crashed"), StatusFamily::Bad},
        {QStringLiteral("timed-out"), StatusFamily::Bad},
        {QStringLiteral("killed"), StatusFamily::Bad},
        {QStringLiteral("aborted"), StatusFamily::Ended},
        {QStringLiteral("stopped"), StatusFamily::Ended},
        {QStringLiteral("exited"), StatusFamily::Ended},
    };
    return families.value(word, StatusFamily::Waiting);
}

bool StatusStyle::isDark(const QPalette &palette)
{
    return palette.color(QPalette::Window).lightness() < 128;
}

QColor StatusStyle::color(StatusFamily family, const QPalette &palette)
{
    // Two tones per family: saturated enough to tell apart on a light window, lighter on a
    // dark one so the contrast stays.
    const bool dark = isDark(palette);
    switch (family) {
    case StatusFamily::Waiting:
        return dark ? QColor(0xa0, 0xa4, 0xab) : QColor(0x6b, 0x70, 0x78);
    case StatusFamily::Active:
        return dark ? QColor(0x5c, 0xa8, 0xff) : QColor(0x1f, 0x6f, 0xd1);
    case StatusFamily::Good:
        return dark ? QColor(0x4c, 0xc3, 0x6b) : QColor(0x1e, 0x8a, 0x3c);
    case StatusFamily::Bad:
        return dark ? QColor(0xff, 0x6b, 0x6b) : QColor(0xc6, 0x28, 0x28);
    case StatusFamily::Ended:
        return dark ? QColor(0xe0, 0xa4, 0x3c) : QColor(0x9a, 0x5b, 0x00);
    }
    return palette.color(QPalette::WindowText);
}

QString StatusStyle::describe(const QString &status)
{
    static const QHash<QString, QString> sentences = {
        {QStringLiteral("queued"), QStringLiteral("Waits for the deployment before it to end")},
        {QStringLiteral("building"),
         QStringLiteral("Fetching the source and running the buildpacks")},
        {QStringLiteral("pushing"), QStringLiteral("Storing the slug and making the release")},
        {QStringLiteral("starting"),
         QStringLiteral("Rolling out: new containers start, are probed, "
                        "then take the traffic")},
        {QStringLiteral("success"), QStringLiteral("The new release serves the traffic")},
        {QStringLiteral("build-error"), QStringLiteral("The build failed; the previous release "
                                                       "keeps serving")},
        {QStringLiteral("crashed-error"), QStringLiteral("A new container exited while booting; "
                                                         "the previous release keeps serving")},
        {QStringLiteral("timeout-error"), QStringLiteral("A new container did not accept "
                                                         "connections within the boot timeout")},
        {QStringLiteral("hook-error"), QStringLiteral("The postdeploy hook failed; the previous "
                                                      "release keeps serving")},
        {QStringLiteral("aborted"), QStringLiteral("Cancelled, or the daemon was lost; the "
                                                   "previous release keeps serving")},
    };
    return sentences.value(status);
}

bool StatusStyle::isFinal(const QString &status)
{
    return status == QLatin1String("success") || status == QLatin1String("aborted") ||
           status.endsWith(QLatin1String("-error"));
}

} // namespace Slipway
