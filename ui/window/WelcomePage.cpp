#include "window/WelcomePage.h"

#include "style/StatusStyle.h"

#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace Slipway {

WelcomePage::WelcomePage(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("welcomePage"));
    auto *outer = new QVBoxLayout(this);
    outer->addStretch(1);
    auto *column = new QVBoxLayout;
    auto *title = new QLabel(QStringLiteral("Welcome to Slipway"), this);
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.8);
    titleFont.setBold(true);
    title->setFont(titleFont);
    auto *text = new QLabel(
        QStringLiteral("Slipway builds an app with Heroku-style buildpacks and rolls it out on "
                       "this machine without downtime: new containers start, each is probed "
                       "until it accepts connections on its PORT, the postdeploy hook runs, and "
                       "then the router switches over. You watch every step.\n\n"
                       "There is no app yet. Start with the sample app — a small Node.js web "
                       "app, ready to deploy — or create one of your own and choose its "
                       "source."),
        this);
    text->setWordWrap(true);
    text->setMaximumWidth(560);
    m_sample = new QPushButton(QStringLiteral("Create the &sample app “hello”"), this);
    m_sample->setObjectName(QStringLiteral("createSampleButton"));
    m_sample->setAccessibleName(QStringLiteral("Create the sample app hello"));
    m_sample->setDefault(true);
    m_create = new QPushButton(QStringLiteral("Create an &app of my own…"), this);
    m_create->setObjectName(QStringLiteral("welcomeCreateButton"));
    m_create->setAccessibleName(QStringLiteral("Create an app"));
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("welcomeMessage"));
    m_message->setWordWrap(true);
    m_message->setMaximumWidth(560);
    m_message->hide();
    column->addWidget(title);
    column->addSpacing(8);
    column->addWidget(text);
    column->addSpacing(16);
    column->addWidget(m_sample, 0, Qt::AlignLeft);
    column->addWidget(m_create, 0, Qt::AlignLeft);
    column->addWidget(m_message);
    auto *row = new QHBoxLayout;
    row->addStretch(1);
    row->addLayout(column);
    row->addStretch(1);
    outer->addLayout(row);
    outer->addStretch(2);
    connect(m_sample, &QPushButton::clicked, this, &WelcomePage::sampleRequested);
    connect(m_create, &QPushButton::clicked, this, &WelcomePage::createRequested);
}

void WelcomePage::setSampleAvailable(bool available, const QString &path)
{
    m_sample->setVisible(available);
    m_sample->setToolTip(path);
}

void WelcomePage::setBusy(bool busy)
{
    m_sample->setEnabled(!busy);
    m_create->setEnabled(!busy);
}

void WelcomePage::setMessage(const QString &message)
{
    m_message->setText(message);
    m_message->setVisible(!message.isEmpty());
    QPalette palette = m_message->palette();
    palette.setColor(QPalette::WindowText, StatusStyle::color(StatusFamily::Bad, palette));
    m_message->setPalette(palette);
}

} // namespace Slipway
