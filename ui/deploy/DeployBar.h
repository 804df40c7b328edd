#pragma once

#include <QJsonObject>
#include <QTimer>
#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;

namespace Slipway {

// The row that starts and watches a deployment: Deploy (Ctrl+Shift+D) and Cancel, the
// status word in its colour with the time it has taken, one sentence of what happens or
// went wrong, and a progress bar with bytes and rate while an archive uploads or a source
// downloads.
class DeployBar : public QWidget
{
    Q_OBJECT

public:
    explicit DeployBar(QWidget *parent = nullptr);

    // The deployment shown (its JSON as the API gives it), or an empty object.
    void setDeployment(const QJsonObject &deployment);
    void setCanDeploy(bool canDeploy, const QString &why = {});
    void setStarting(bool starting); // a start (upload...) is on its way
    void setMessage(const QString &message, bool problem = false);
    void showTransfer(const QString &what, qint64 bytes, qint64 total, double bytesPerSecond);
    void hideTransfer();

    QString statusText() const;
    QString messageText() const;
    QPushButton *deployButton() const { return m_deploy; }
    QPushButton *cancelButton() const { return m_cancel; }

    static QString formatDuration(qint64 milliseconds);

Q_SIGNALS:
    void deployRequested();
    void cancelRequested();

private:
    void tick();
    void updateButtons();

    QPushButton *m_deploy;
    QPushButton *m_cancel;
    QLabel *m_status;
    QLabel *m_elapsed;
    QLabel *m_message;
    QProgressBar *m_progress;
    QLabel *m_transfer;
    QTimer m_clock;
    QJsonObject m_deployment;
    bool m_canDeploy = false;
    bool m_starting = false;
};

} // namespace Slipway
