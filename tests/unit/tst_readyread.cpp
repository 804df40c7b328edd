// The router's reads (Io::asyncReadSome): one receive call per read where nothing can be
// there yet, and never a byte lost or a read left waiting for bytes already there.
//
// Receive calls are counted by standing in for recv() in this binary (Asio's reads call it);
// the stand-in counts the calls on the socket under test and hands every call on to the
// real recv().

#include "router/IoTypes.h"
#include "router/ReadyRead.h"

#include <QTest>

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <optional>
#include <string>

#include <dlfcn.h>
#include <sys/socket.h>

using namespace Slipway;
using tcp = boost::asio::ip::tcp;

namespace {
std::atomic<int> countedSocket{-1};
std::atomic<int> receiveCalls{0};
} // namespace

extern "C" ssize_t recv(int socket, void *buffer, size_t length, int flags)
{
    using Recv = ssize_t (*)(int, void *, size_t, int);
    static const auto next = reinterpret_cast<Recv>(::dlsym(RTLD_NEXT, "recv"));
    if (socket == countedSocket.load())
        ++receiveCalls;
    return next(socket, buffer, length, flags);
}

namespace {

struct Outcome
{
    boost::system::error_code error;
    std::size_t read = 0;
};

// A connected pair of loopback sockets on one io_context: `ours` is read the router's way,
// `peer` writes synchronously.
class Pair
{
public:
    Pair()
        : ours(context.get_executor())
        , peer(context.get_executor())
    {
        Io::Acceptor acceptor(context.get_executor(),
                              tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
        peer.connect(acceptor.local_endpoint());
        acceptor.accept(ours);
        ours.non_blocking(true); // as the router's sockets are
        peer.set_option(tcp::no_delay(true));
        countedSocket = ours.native_handle();
        receiveCalls = 0;
    }
    ~Pair() { countedSocket = -1; }

    void send(const std::string &text) { boost::asio::write(peer, boost::asio::buffer(text)); }

    // Starts a read of at most `room` bytes into `buffer`; the outcome lands in `outcome`.
    void startRead(std::string &buffer, std::size_t room, std::optional<Outcome> &outcome)
    {
        buffer.assign(room, '\0');
        outcome.reset();
        Io::asyncReadSome(ours, boost::asio::buffer(buffer.data(), room),
                          [&outcome](boost::system::error_code error, std::size_t read) {
                              outcome = Outcome{error, read};
                          });
    }

    // Runs the io_context until `outcome` is set, for at most ten seconds.
    bool runUntil(const std::optional<Outcome> &outcome)
    {
        const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!outcome && std::chrono::steady_clock::now() < limit) {
            context.restart();
            context.run_for(std::chrono::milliseconds(50));
        }
        return outcome.has_value();
    }

    // Lets the reactor see whatever the kernel has reported by now, without starting a read.
    void settle()
    {
        QTest::qWait(50);
        context.restart();
        context.poll();
    }

    boost::asio::io_context context;
    Io::Socket ours;
    Io::Socket peer;
};

} // namespace

class TestReadyRead : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void readsWhatIsThere();
    void aReadAfterTheSocketWasEmptiedCallsReceiveOnce();
    void aReadThatFilledItsRoomTriesAgainAtOnce();
    void bytesThatCameBetweenTwoReadsAreRead();
    void bytesThatCameBeforeTheReactorLookedAreRead();
    void theEndOfTheStreamIsReported();
    void anEndThatCameWithTheLastBytesIsSeenByATryNow();
    void aTryNowOnAnEmptySocketSaysSo();
    void closingTheSocketEndsAWaitingRead();
    void aWaitingReadIsFreedWithItsContext();
};

void TestReadyRead::readsWhatIsThere()
{
    Pair pair;
    pair.send("hello");
    pair.settle();
    std::string buffer;
    std::optional<Outcome> outcome;
    pair.startRead(buffer, 4096, outcome);
    QVERIFY(pair.runUntil(outcome));
    QVERIFY2(!outcome->error, outcome->error.message().c_str());
    QCOMPARE(buffer.substr(0, outcome->read), std::string("hello"));
}

void TestReadyRead::aReadAfterTheSocketWasEmptiedCallsReceiveOnce()
{
    Pair pair;
    std::string buffer;
    std::optional<Outcome> outcome;
    // A keep-alive exchange: each answer is read whole, in fewer bytes than the room given,
    // and the next read starts before the next bytes were sent.
    for (int round = 0; round < 20; ++round) {
        const std::string text = "answer " + std::to_string(round);
        receiveCalls = 0;
        pair.startRead(buffer, 4096, outcome);
        pair.settle(); // the read waits now
        QVERIFY(!outcome);
        pair.send(text);
        QVERIFY(pair.runUntil(outcome));
        QVERIFY2(!outcome->error, outcome->error.message().c_str());
        QCOMPARE(buffer.substr(0, outcome->read), text);
        // Asio's own read calls recv() twice here: once before it waits (nothing there yet),
        // once after. The first round may do the same: nothing emptied the socket before it.
        if (round > 0)
            QCOMPARE(receiveCalls.load(), 1);
    }
}

void TestReadyRead::aReadThatFilledItsRoomTriesAgainAtOnce()
{
    Pair pair;
    pair.send("0123456789");
    pair.settle();
    std::string buffer;
    std::optional<Outcome> outcome;
    pair.startRead(buffer, 4, outcome);
    QVERIFY(pair.runUntil(outcome));
    QCOMPARE(buffer.substr(0, outcome->read), std::string("0123"));
    // The socket may hold more: the next read takes it without waiting for a new edge,
    // which will never come for bytes already there.
    std::string rest;
    for (int piece = 0; piece < 3 && rest.size() < 6; ++piece) {
        pair.startRead(buffer, 4, outcome);
        QVERIFY(pair.runUntil(outcome));
        QVERIFY2(!outcome->error, outcome->error.message().c_str());
        rest += buffer.substr(0, outcome->read);
    }
    QCOMPARE(rest, std::string("456789"));
}

void TestReadyRead::bytesThatCameBetweenTwoReadsAreRead()
{
    Pair pair;
    std::string buffer;
    std::optional<Outcome> outcome;
    pair.send("first");
    pair.settle();
    pair.startRead(buffer, 4096, outcome);
    QVERIFY(pair.runUntil(outcome));
    QCOMPARE(buffer.substr(0, outcome->read), std::string("first"));
    // The socket was emptied; bytes come while no read waits, and the reactor hears of them
    // before the next read starts.
    pair.send("second");
    pair.settle();
    pair.startRead(buffer, 4096, outcome);
    QVERIFY(pair.runUntil(outcome));
    QVERIFY2(!outcome->error, outcome->error.message().c_str());
    QCOMPARE(buffer.substr(0, outcome->read), std::string("second"));
}

void TestReadyRead::bytesThatCameBeforeTheReactorLookedAreRead()
{
    Pair pair;
    std::string buffer;
    std::optional<Outcome> outcome;
    pair.send("first");
    pair.settle();
    pair.startRead(buffer, 4096, outcome);
    QVERIFY(pair.runUntil(outcome));
    // Bytes already in the socket, the reactor not told yet: the read waits for the edge
    // those bytes raised, which is already on its way.
    pair.send("second");
    pair.startRead(buffer, 4096, outcome);
    QVERIFY(pair.runUntil(outcome));
    QVERIFY2(!outcome->error, outcome->error.message().c_str());
    QCOMPARE(buffer.substr(0, outcome->read), std::string("second"));
}

void TestReadyRead::theEndOfTheStreamIsReported()
{
    Pair pair;
    std::string buffer;
    std::optional<Outcome> outcome;
    pair.send("last words");
    pair.settle();
    pair.startRead(buffer, 4096, outcome);
    QVERIFY(pair.runUntil(outcome));
    pair.startRead(buffer, 4096, outcome);
    pair.settle();
    QVERIFY(!outcome);
    pair.peer.shutdown(tcp::socket::shutdown_send);
    QVERIFY(pair.runUntil(outcome));
    QCOMPARE(outcome->error, boost::system::error_code(boost::asio::error::eof));
    QCOMPARE(outcome->read, std::size_t(0));
}

void TestReadyRead::anEndThatCameWithTheLastBytesIsSeenByATryNow()
{
    // The bytes and the end of the stream are both in before the reactor looks: one edge
    // for both. The read takes the bytes and finds the socket empty; the end raises no new
    // edge, so whoever continues the message must try at once.
    Pair pair;
    pair.send("a body cut short");
    pair.peer.shutdown(tcp::socket::shutdown_send);
    pair.settle();
    std::string buffer;
    std::optional<Outcome> outcome;
    pair.startRead(buffer, 4096, outcome);
    QVERIFY(pair.runUntil(outcome));
    QCOMPARE(buffer.substr(0, outcome->read), std::string("a body cut short"));
    boost::system::error_code error;
    std::size_t read = 1;
    char space[64];
    QVERIFY(Io::readSomeNow(pair.ours, boost::asio::buffer(space), error, read));
    QCOMPARE(error, boost::system::error_code(boost::asio::error::eof));
    QCOMPARE(read, std::size_t(0));
}

void TestReadyRead::aTryNowOnAnEmptySocketSaysSo()
{
    Pair pair;
    boost::system::error_code error;
    std::size_t read = 1;
    char space[64];
    QVERIFY(!Io::readSomeNow(pair.ours, boost::asio::buffer(space), error, read));
    QVERIFY(!error);
    QCOMPARE(read, std::size_t(0));
    pair.send("now");
    pair.settle();
    QVERIFY(Io::readSomeNow(pair.ours, boost::asio::buffer(space), error, read));
    QVERIFY(!error);
    QCOMPARE(std::string(space, read), std::string("now"));
}

void TestReadyRead::closingTheSocketEndsAWaitingRead()
{
    Pair pair;
    std::string buffer;
    std::optional<Outcome> outcome;
    pair.startRead(buffer, 4096, outcome);
    pair.settle();
    QVERIFY(!outcome);
    pair.ours.close();
    QVERIFY(pair.runUntil(outcome));
    QCOMPARE(outcome->error, boost::system::error_code(boost::asio::error::operation_aborted));
}

void TestReadyRead::aWaitingReadIsFreedWithItsContext()
{
    // Under AddressSanitizer a read left waiting when its io_context goes must not leak, and
    // its handler must not be called.
    bool called = false;
    std::shared_ptr<int> heldByHandler = std::make_shared<int>(1);
    std::weak_ptr<int> watch = heldByHandler;
    std::string buffer(64, '\0');
    {
        Pair pair;
        Io::asyncReadSome(
            pair.ours, boost::asio::buffer(buffer),
            [&called, held = std::move(heldByHandler)](auto, std::size_t) { called = true; });
        pair.settle();
    }
    QVERIFY(!called);
    QVERIFY(watch.expired());
}

QTEST_GUILESS_MAIN(TestReadyRead)
#include "tst_readyread.moc"
