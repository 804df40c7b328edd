#pragma once

#include "source/SourceSelection.h"

#include <QList>
#include <QString>

namespace Slipway {

// The sources last deployed or chosen for each app, newest first, kept in the console's
// settings.
class RecentSources
{
public:
    static constexpr int Kept = 10;

    static QList<SourceSelection> forApp(const QString &app);
    static void remember(const QString &app, const SourceSelection &source);
    static void forget(const QString &app);
};

} // namespace Slipway
