#pragma once

#include "rollout/RolloutTimeline.h"

#include <QElapsedTimer>
#include <QTimer>
#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QScrollArea;
class QToolButton;

namespace Slipway {

class RolloutScrubber;
class RolloutView;

// One deployment's rollout: a header with its status word and elapsed time, the rollout
// view, a panel with the output of the container picked in it, and, once the deployment
// is finished, a scrubber to replay it. Fed with the API's JSON, nothing else:
//   setDeployment()  GET /v1/apps/{app}/deployments/{id}, with its timeline
//   appendEvent()    /v1/events {"type": "timeline"} events' `event`
//   setStatus()      /v1/events {"type": "deployment"} events
//   setLog() / appendLogLine()   /output, for the containers' own lines
// A running deployment is shown at "now" and repainted while something counts down.
class RolloutPane : public QWidget
{
    Q_OBJECT

public:
    explicit RolloutPane(QWidget *parent = nullptr);

    bool setDeployment(const QJsonObject &deployment, QString *error = nullptr);
    bool appendEvent(const QJsonObject &event, QString *error = nullptr);
    // The deployment read again: fields change, what was fed so far stays.
    void updateDeployment(const QJsonObject &deployment);
    void setStatus(const QString &status, const QString &error = {});
    void setLog(const QStringList &lines);
    void appendLogLine(const QString &line);
    void clear();

    const RolloutTimeline &timeline() const { return m_timeline; }
    const RolloutState &state() const;
    RolloutView *view() const { return m_view; }
    RolloutScrubber *scrubber() const { return m_scrubber; }
    // True once the deployment is over and shown through the scrubber.
    bool isReplay() const { return m_replay; }
    // Opens the output panel on a container ("web-1", "postdeploy-1").
    void showOutput(const QString &container);
    QString shownOutput() const { return m_shownOutput; }

Q_SIGNALS:
    void itemActivated(const QString &container);

protected:
    void changeEvent(QEvent *event) override;

private:
    qint64 liveOffset() const;
    void refresh();
    void updateMode();
    void updateHeader(const RolloutState &state);
    void updateOutput();
    void eventsChanged();

    RolloutTimeline m_timeline;
    QLabel *m_status;
    QLabel *m_release;
    QLabel *m_elapsed;
    QLabel *m_sentence;
    QLabel *m_problem;
    QScrollArea *m_scroll;
    RolloutView *m_view;
    QWidget *m_details;
    QLabel *m_detailsTitle;
    QPlainTextEdit *m_output;
    QToolButton *m_closeDetails;
    RolloutScrubber *m_scrubber;
    QTimer m_liveTimer;
    QElapsedTimer m_sinceEvent;
    bool m_replay = false;
    QString m_shownOutput;
};

} // namespace Slipway
