#pragma once

#include <QObject>
#include <QPointer>
#include <QString>

class QProcess;

namespace Slipway {

// What git says of a folder, read with one `git status --porcelain=v2 --branch` run in the
// background: whether it is a work tree, its branch, its commit and whether it has
// uncommitted changes.
class GitWorkTreeInfo : public QObject
{
    Q_OBJECT

public:
    struct Facts
    {
        bool isWorkTree = false;
        QString branch;    // empty when detached
        QString commit;    // full SHA; empty before the first commit
        int changed = 0;   // tracked files with uncommitted changes
        int untracked = 0; // files git does not know
        QString problem;   // why git could not tell (not installed...)

        QString describe() const;
    };

    explicit GitWorkTreeInfo(QObject *parent = nullptr);
    ~GitWorkTreeInfo() override;

    // Reads `folder`; a read in progress for another folder is dropped.
    void read(const QString &folder);
    static Facts parse(const QByteArray &porcelain);

Q_SIGNALS:
    void ready(const QString &folder, const Slipway::GitWorkTreeInfo::Facts &facts);

private:
    QPointer<QProcess> m_process;
};

} // namespace Slipway
Q_DECLARE_METATYPE(Slipway::GitWorkTreeInfo::Facts)
