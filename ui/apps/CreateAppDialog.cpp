#include "apps/CreateAppDialog.h"

#include "client/DaemonClient.h"
#include "style/StatusStyle.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QVBoxLayout>

namespace Slipway {

CreateAppDialog::CreateAppDialog(DaemonClient *client, QStringList existing, QWidget *parent)
    : QDialog(parent)
    , m_client(client)
    , m_existing(std::move(existing))
{
    setWindowTitle(QStringLiteral("Create an app — Slipway"));
    setObjectName(QStringLiteral("createAppDialog"));
    auto *layout = new QVBoxLayout(this);
    auto *form = new QFormLayout;
    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("appNameEdit"));
    m_name->setAccessibleName(QStringLiteral("App name"));
    m_name->setPlaceholderText(QStringLiteral("shop"));
    m_name->setMaxLength(48);
    form->addRow(QStringLiteral("&Name:"), m_name);
    layout->addLayout(form);
    m_hint = new QLabel(this);
    m_hint->setObjectName(QStringLiteral("appNameHint"));
    m_hint->setWordWrap(true);
    m_hint->setAccessibleName(QStringLiteral("Name rule"));
    layout->addWidget(m_hint);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Ok)->setText(QStringLiteral("Create"));
    m_buttons->button(QDialogButtonBox::Ok)->setObjectName(QStringLiteral("createAppButton"));
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &CreateAppDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &CreateAppDialog::reject);
    connect(m_name, &QLineEdit::textChanged, this, &CreateAppDialog::check);
    check();
    resize(420, sizeHint().height());
}

QString CreateAppDialog::name() const
{
    return m_name->text().trimmed();
}

QString CreateAppDialog::problemWith(const QString &name, const QStringList &existing)
{
    static const QRegularExpression rule(QStringLiteral("^[a-z][a-z0-9-]{2,47}$"));
    if (name.isEmpty())
        return QStringLiteral("3 to 48 lowercase letters, digits and dashes, starting with a "
                              "letter; the app answers at http://NAME.localhost");
    if (!name.at(0).isLower() || !name.at(0).isLetter())
        return QStringLiteral("Start with a lowercase letter.");
    if (name.size() < 3)
        return QStringLiteral("Use at least 3 characters.");
    if (!rule.match(name).hasMatch())
        return QStringLiteral("Use only lowercase letters, digits and dashes.");
    if (existing.contains(name))
        return QStringLiteral("An app named %1 exists already.").arg(name);
    return {};
}

void CreateAppDialog::check()
{
    const QString problem = problemWith(name(), m_existing);
    const bool valid = problem.isEmpty() && !name().isEmpty();
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(valid && !m_busy);
    QPalette palette = m_hint->palette();
    if (name().isEmpty() || valid) {
        m_hint->setText(valid ? QStringLiteral("It will answer at http://%1.localhost").arg(name())
                              : problem);
        palette.setColor(QPalette::WindowText, this->palette().color(QPalette::WindowText));
    } else {
        m_hint->setText(problem);
        palette.setColor(QPalette::WindowText, StatusStyle::color(StatusFamily::Bad, palette));
    }
    m_hint->setPalette(palette);
}

void CreateAppDialog::accept()
{
    if (!problemWith(name(), m_existing).isEmpty() || m_busy)
        return;
    m_busy = true;
    check();
    const QString wanted = name();
    m_client->send(
        "POST", QStringLiteral("/v1/apps"),
        QJsonObject{{QStringLiteral("app"), QJsonObject{{QStringLiteral("name"), wanted}}}}, this,
        [this, wanted](const ApiResult &result) {
            m_busy = false;
            if (!result.ok()) {
                m_hint->setText(result.message());
                QPalette palette = m_hint->palette();
                palette.setColor(QPalette::WindowText,
                                 StatusStyle::color(StatusFamily::Bad, palette));
                m_hint->setPalette(palette);
                m_buttons->button(QDialogButtonBox::Ok)->setEnabled(true);
                return;
            }
            Q_EMIT created(wanted);
            QDialog::accept();
        });
}

} // namespace Slipway
