#include "router/RoutingTable.h"

namespace Slipway {

void RoutingTable::insert(std::string app, AppRoute route)
{
    for (const RouteBackend &backend : route.backends)
        m_slots.insert(backend.slot);
    m_logNames.insert(route.name);
    m_apps.insert_or_assign(std::move(app), std::move(route));
}

const AppRoute *RoutingTable::find(std::string_view app) const
{
    const auto it = m_apps.find(app);
    return it == m_apps.end() ? nullptr : &it->second;
}

} // namespace Slipway
