#pragma once

#include <QListView>

namespace Slipway {

// The app's buildpack list as a view: rows reordered by drag and drop, and while it is
// empty, a sentence saying what that means instead of a blank box.
class BuildpackListView : public QListView
{
    Q_OBJECT

public:
    explicit BuildpackListView(QWidget *parent = nullptr);

protected:
    void paintEvent(QPaintEvent *event) override;
};

} // namespace Slipway
