#pragma once

#include <QString>

#include <atomic>
#include <thread>

namespace TestSupport {

// What a host running Docker under systemd looks like to a process setting up a sandbox:
// mounts that propagate (shared), under which others come and go all the time. A folder
// of the test's own is bound on itself and made shared, and a thread mounts and unmounts
// small tmpfs below it until the churn ends; everything is unmounted again at the end.
// Needs root (mount(2)); problem() says why it could not start otherwise.
class MountChurn
{
public:
    explicit MountChurn(const QString &folder);
    ~MountChurn();
    MountChurn(const MountChurn &) = delete;
    MountChurn &operator=(const MountChurn &) = delete;

    QString problem() const { return m_problem; }
    // Mounts made and taken away again so far: 0 means nothing came and went.
    long mounts() const { return m_mounts.load(); }

private:
    QString m_folder;
    QString m_problem;
    bool m_bound = false;
    std::atomic<bool> m_stop{false};
    std::atomic<long> m_mounts{0};
    std::thread m_thread;
};

} // namespace TestSupport
