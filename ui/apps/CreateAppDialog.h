#pragma once

#include <QDialog>
#include <QStringList>

class QDialogButtonBox;
class QLabel;
class QLineEdit;

namespace Slipway {

class DaemonClient;

// Asks for a new app's name, checking the rule as the user types (3 to 48 lowercase
// letters, digits and dashes, starting with a letter; not taken yet), then creates it.
class CreateAppDialog : public QDialog
{
    Q_OBJECT

public:
    CreateAppDialog(DaemonClient *client, QStringList existing, QWidget *parent = nullptr);

    QString name() const;
    // Why `name` cannot be an app name, or nothing when it can.
    static QString problemWith(const QString &name, const QStringList &existing);

    void accept() override;

Q_SIGNALS:
    void created(const QString &name);

private:
    void check();

    DaemonClient *m_client;
    QStringList m_existing;
    QLineEdit *m_name;
    QLabel *m_hint;
    QDialogButtonBox *m_buttons;
    bool m_busy = false;
};

} // namespace Slipway
