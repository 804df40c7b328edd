#include "window/ConnectionBanner.h"

#include "style/StatusStyle.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>

namespace Slipway {

ConnectionBanner::ConnectionBanner(DaemonClient *client, QWidget *parent)
    : QFrame(parent)
    , m_client(client)
{
    setObjectName(QStringLiteral("connectionBanner"));
    setAccessibleName(QStringLiteral("Connection to slipwayd"));
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(10, 6, 10, 6);
    m_text = new QLabel(this);
    m_text->setObjectName(QStringLiteral("connectionText"));
    m_text->setWordWrap(true);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_start = new QPushButton(QStringLiteral("&Start slipwayd"), this);
    m_start->setObjectName(QStringLiteral("startDaemonButton"));
    m_start->setAccessibleName(QStringLiteral("Start slipwayd"));
    layout->addWidget(m_text, 1);
    layout->addWidget(m_start);
    connect(m_start, &QPushButton::clicked, client, &DaemonClient::startDaemon);
    connect(client, &DaemonClient::stateChanged, this, &ConnectionBanner::update);
    update(client->state(), client->stateReason());
}

QString ConnectionBanner::text() const
{
    return m_text->text();
}

void ConnectionBanner::update(DaemonClient::State state, const QString &reason)
{
    if (state == DaemonClient::State::Online) {
        hide();
        return;
    }
    const QString where = m_client->endpoint().describe();
    QString text;
    if (state == DaemonClient::State::Connecting)
        text =
            reason.isEmpty() ? QStringLiteral("Connecting to slipwayd at %1…").arg(where) : reason;
    else
        text = QStringLiteral("Reconnecting to slipwayd at %1 — %2. Your apps keep running if "
                              "slipwayd does; the window catches up when it answers again.")
                   .arg(where, reason.isEmpty() ? QStringLiteral("it does not answer") : reason);
    m_text->setText(text);
    setAccessibleDescription(text);
    m_start->setVisible(state == DaemonClient::State::Offline && !m_client->isStartingDaemon());
    QPalette palette = this->palette();
    QColor tint = StatusStyle::color(state == DaemonClient::State::Offline ? StatusFamily::Ended
                                                                           : StatusFamily::Active,
                                     palette);
    QColor background = palette.color(QPalette::Window);
    // A light wash of the state's colour over the window colour.
    background = QColor::fromRgbF(background.redF() * 0.8 + tint.redF() * 0.2,
                                  background.greenF() * 0.8 + tint.greenF() * 0.2,
                                  background.blueF() * 0.8 + tint.blueF() * 0.2);
    palette.setColor(QPalette::Window, background);
    setPalette(palette);
    show();
}

} // namespace Slipway
