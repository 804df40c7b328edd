#pragma once

#include <QWidget>

class QLabel;
class QPushButton;

namespace Slipway {

// What a first start shows, before any app exists: what Slipway does, and two ways in —
// the bundled sample app, ready to deploy, or an app of one's own.
class WelcomePage : public QWidget
{
    Q_OBJECT

public:
    explicit WelcomePage(QWidget *parent = nullptr);

    void setSampleAvailable(bool available, const QString &path);
    void setBusy(bool busy);
    void setMessage(const QString &message);

Q_SIGNALS:
    void sampleRequested();
    void createRequested();

private:
    QPushButton *m_sample;
    QPushButton *m_create;
    QLabel *m_message;
};

} // namespace Slipway
