#include "deploy/DeployBar.h"

#include "style/StatusStyle.h"

#include <QDateTime>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>

namespace Slipway {

namespace {

QDateTime timeOf(const QJsonObject &deployment, const char *key)
{
    return QDateTime::fromString(deployment.value(QLatin1String(key)).toString(),
                                 Qt::ISODateWithMs);
}

} // namespace

DeployBar::DeployBar(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("deployBar"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *row = new QHBoxLayout;
    m_deploy = new QPushButton(QStringLiteral("&Deploy"), this);
    m_deploy->setObjectName(QStringLiteral("deployButton"));
    m_deploy->setAccessibleName(QStringLiteral("Deploy"));
    m_deploy->setToolTip(QStringLiteral("Build the source and roll it out (Ctrl+Shift+D)"));
    m_deploy->setDefault(true);
    QFont bold = m_deploy->font();
    bold.setBold(true);
    m_deploy->setFont(bold);
    m_deploy->setMinimumWidth(110);
    m_cancel = new QPushButton(QStringLiteral("&Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("cancelButton"));
    m_cancel->setAccessibleName(QStringLiteral("Cancel the deployment"));
    m_cancel->setToolTip(QStringLiteral("Stop this deployment; the running version keeps serving"));
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("deploymentStatus"));
    m_status->setAccessibleName(QStringLiteral("Deployment status"));
    QFont statusFont = m_status->font();
    statusFont.setBold(true);
    statusFont.setPointSizeF(statusFont.pointSizeF() * 1.15);
    m_status->setFont(statusFont);
    m_elapsed = new QLabel(this);
    m_elapsed->setObjectName(QStringLiteral("deploymentElapsed"));
    m_elapsed->setAccessibleName(QStringLiteral("Time taken"));
    m_elapsed->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    row->addWidget(m_deploy);
    row->addWidget(m_cancel);
    row->addSpacing(12);
    row->addWidget(m_status);
    row->addWidget(m_elapsed);
    row->addStretch();
    layout->addLayout(row);

    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("deploymentMessage"));
    m_message->setAccessibleName(QStringLiteral("About the deployment"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->hide();
    layout->addWidget(m_message);

    auto *transferRow = new QHBoxLayout;
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("transferProgress"));
    m_progress->setAccessibleName(QStringLiteral("Transfer progress"));
    m_progress->setMaximumWidth(260);
    m_transfer = new QLabel(this);
    m_transfer->setObjectName(QStringLiteral("transferLabel"));
    transferRow->addWidget(m_progress);
    transferRow->addWidget(m_transfer, 1);
    layout->addLayout(transferRow);
    m_progress->hide();
    m_transfer->hide();

    connect(m_deploy, &QPushButton::clicked, this, &DeployBar::deployRequested);
    connect(m_cancel, &QPushButton::clicked, this, &DeployBar::cancelRequested);
    m_clock.setInterval(250);
    connect(&m_clock, &QTimer::timeout, this, &DeployBar::tick);
    updateButtons();
}

QString DeployBar::formatDuration(qint64 milliseconds)
{
    const qint64 seconds = qMax<qint64>(0, milliseconds / 1000);
    if (seconds < 60)
        return QStringLiteral("%1.%2 s").arg(seconds).arg((milliseconds % 1000) / 100);
    if (seconds < 3600)
        return QStringLiteral("%1:%2").arg(seconds / 60).arg(seconds % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2:%3")
        .arg(seconds / 3600)
        .arg((seconds / 60) % 60, 2, 10, QLatin1Char('0'))
        .arg(seconds % 60, 2, 10, QLatin1Char('0'));
}

void DeployBar::setDeployment(const QJsonObject &deployment)
{
    m_deployment = deployment;
    const QString status = deployment.value(QStringLiteral("status")).toString();
    if (status.isEmpty()) {
        m_status->clear();
        m_elapsed->clear();
        m_status->setAccessibleDescription({});
        m_clock.stop();
        updateButtons();
        return;
    }
    QPalette palette = m_status->palette();
    palette.setColor(QPalette::WindowText, StatusStyle::color(status, palette));
    m_status->setPalette(palette);
    const int release = deployment.value(QStringLiteral("release_version")).toInt();
    m_status->setText(release > 0 ? QStringLiteral("%1  v%2").arg(status).arg(release) : status);
    m_status->setToolTip(StatusStyle::describe(status));
    m_status->setAccessibleDescription(StatusStyle::describe(status));

    const QString error = deployment.value(QStringLiteral("error")).toString();
    const QString waitingFor = deployment.value(QStringLiteral("waiting_for")).toString();
    if (!error.isEmpty())
        setMessage(error, StatusStyle::family(status) == StatusFamily::Bad);
    else if (status == QLatin1String("queued"))
        setMessage(waitingFor.isEmpty()
                       ? QStringLiteral("Queued: it starts when the app's running deployment ends.")
                       : QStringLiteral("Queued: waits for deployment %1 of this app to end.")
                             .arg(waitingFor));
    else
        setMessage({});
    if (StatusStyle::isFinal(status)) {
        m_clock.stop();
        hideTransfer();
    } else if (!m_clock.isActive()) {
        m_clock.start();
    }
    tick();
    updateButtons();
}

void DeployBar::tick()
{
    const QDateTime created = timeOf(m_deployment, "created_at");
    if (!created.isValid()) {
        m_elapsed->clear();
        return;
    }
    QDateTime end = timeOf(m_deployment, "finished_at");
    const bool running =
        !StatusStyle::isFinal(m_deployment.value(QStringLiteral("status")).toString());
    if (running || !end.isValid())
        end = QDateTime::currentDateTimeUtc();
    m_elapsed->setText(formatDuration(created.msecsTo(end)));
}

void DeployBar::setCanDeploy(bool canDeploy, const QString &why)
{
    m_canDeploy = canDeploy;
    m_deploy->setToolTip(canDeploy ? QStringLiteral("Build the source and roll it out "
                                                    "(Ctrl+Shift+D)")
                                   : why);
    updateButtons();
}

void DeployBar::setStarting(bool starting)
{
    m_starting = starting;
    updateButtons();
}

void DeployBar::setMessage(const QString &message, bool problem)
{
    m_message->setText(message);
    m_message->setVisible(!message.isEmpty());
    QPalette palette = m_message->palette();
    palette.setColor(QPalette::WindowText, problem ? StatusStyle::color(StatusFamily::Bad, palette)
                                                   : this->palette().color(QPalette::WindowText));
    m_message->setPalette(palette);
}

void DeployBar::showTransfer(const QString &what, qint64 bytes, qint64 total, double bytesPerSecond)
{
    const QLocale locale;
    if (total > 0) {
        m_progress->setRange(0, 1000);
        m_progress->setValue(int(std::clamp<qint64>(bytes * 1000 / total, 0, 1000)));
    } else {
        m_progress->setRange(0, 0); // size unknown: busy
    }
    QString text =
        total > 0 ? QStringLiteral("%1: %2 of %3")
                        .arg(what, locale.formattedDataSize(bytes), locale.formattedDataSize(total))
                  : QStringLiteral("%1: %2").arg(what, locale.formattedDataSize(bytes));
    if (bytesPerSecond > 0)
        text += QStringLiteral(" · %1/s").arg(locale.formattedDataSize(qint64(bytesPerSecond)));
    m_transfer->setText(text);
    m_progress->setAccessibleDescription(text);
    m_progress->show();
    m_transfer->show();
}

void DeployBar::hideTransfer()
{
    m_progress->hide();
    m_transfer->hide();
}

QString DeployBar::statusText() const
{
    return m_status->text();
}

QString DeployBar::messageText() const
{
    return m_message->isVisible() ? m_message->text() : QString();
}

void DeployBar::updateButtons()
{
    const QString status = m_deployment.value(QStringLiteral("status")).toString();
    const bool running = !status.isEmpty() && !StatusStyle::isFinal(status);
    m_deploy->setEnabled(m_canDeploy && !m_starting);
    m_cancel->setEnabled(running || m_starting);
}

} // namespace Slipway
