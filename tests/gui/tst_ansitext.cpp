// The ANSI parser of the build log: SGR styles (16, 256 and RGB colours, both parameter
// forms), everything else stripped, carriage returns, tabs, broken UTF-8, and output that
// arrives split at any byte.

#include "log/AnsiParser.h"
#include "log/LogStore.h"

#include <QTest>

using namespace Slipway;

namespace {

struct Parsed
{
    QString text;
    ParsedLine line;
};

Parsed parse(QByteArrayView raw, AnsiParser *parser = nullptr)
{
    AnsiParser local;
    AnsiParser &use = parser ? *parser : local;
    Parsed result;
    use.parseLine(raw, result.line);
    result.text = QString::fromUtf8(result.line.text);
    return result;
}

// The style in effect at a UTF-16 position of a parsed line.
TextStyle styleAt(const ParsedLine &line, qsizetype position)
{
    TextStyle style;
    for (const ParsedLine::Span &span : line.spans) {
        if (qsizetype(span.start) > position)
            break;
        style = span.style;
    }
    return style;
}

} // namespace

class TestAnsiText : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void plainText()
    {
        const Parsed parsed = parse("npm notice created a lockfile");
        QCOMPARE(parsed.text, QStringLiteral("npm notice created a lockfile"));
        QVERIFY(parsed.line.spans.empty());
        QVERIFY(parsed.line.ascii);
        QCOMPARE(parsed.line.columns, 29);
    }

    void basicColours()
    {
        const Parsed parsed = parse("\x1b[31mred\x1b[0m plain \x1b[1;32mbold green\x1b[m");
        QCOMPARE(parsed.text, QStringLiteral("red plain bold green"));
        QCOMPARE(styleAt(parsed.line, 0).foreground, TextStyle::indexed(1));
        QVERIFY(styleAt(parsed.line, 4).isDefault());
        const TextStyle bold = styleAt(parsed.line, 10);
        QCOMPARE(bold.foreground, TextStyle::indexed(2));
        QVERIFY(bold.has(TextStyle::Bold));
        // The trailing reset leaves no empty span behind.
        QVERIFY(parsed.line.spans.back().start < quint32(parsed.line.utf16Length));
    }

    void attributesAndTheirResets()
    {
        AnsiParser parser;
        Parsed parsed = parse("\x1b[1;2;3;4;7;9mx", &parser);
        TextStyle style = styleAt(parsed.line, 0);
        for (const TextStyle::Flag flag :
             {TextStyle::Bold, TextStyle::Dim, TextStyle::Italic, TextStyle::Underline,
              TextStyle::Inverse, TextStyle::Strike})
            QVERIFY(style.has(flag));
        parsed = parse("\x1b[22;23;24;27;29mx", &parser);
        QVERIFY(styleAt(parsed.line, 0).isDefault());
        // Underline sub-parameters: 4:0 is off, 4:3 (curly) is on.
        parsed = parse("\x1b[4:3ma\x1b[4:0mb", &parser);
        QVERIFY(styleAt(parsed.line, 0).has(TextStyle::Underline));
        QVERIFY(!styleAt(parsed.line, 1).has(TextStyle::Underline));
    }

    void brightColours()
    {
        const Parsed parsed = parse("\x1b[91;104mx\x1b[39my\x1b[49mz");
        QCOMPARE(styleAt(parsed.line, 0).foreground, TextStyle::indexed(9));
        QCOMPARE(styleAt(parsed.line, 0).background, TextStyle::indexed(12));
        QCOMPARE(styleAt(parsed.line, 1).foreground, TextStyle::DefaultColor);
        QCOMPARE(styleAt(parsed.line, 1).background, TextStyle::indexed(12));
        QVERIFY(styleAt(parsed.line, 2).isDefault());
    }

    void colours256()
    {
        const Parsed semicolons = parse("\x1b[38;5;208;48;5;21mx");
        QCOMPARE(styleAt(semicolons.line, 0).foreground, TextStyle::indexed(208));
        QCOMPARE(styleAt(semicolons.line, 0).background, TextStyle::indexed(21));
        const Parsed colons = parse("\x1b[38:5:208mx");
        QCOMPARE(styleAt(colons.line, 0).foreground, TextStyle::indexed(208));
    }

    void trueColour()
    {
        const Parsed semicolons = parse("\x1b[38;2;255;128;0;48;2;1;2;3mx");
        QCOMPARE(styleAt(semicolons.line, 0).foreground, TextStyle::rgb(255, 128, 0));
        QCOMPARE(styleAt(semicolons.line, 0).background, TextStyle::rgb(1, 2, 3));
        // ITU T.416 forms, with and without the colour space id.
        const Parsed withSpace = parse("\x1b[38:2::10:20:30mx");
        QCOMPARE(styleAt(withSpace.line, 0).foreground, TextStyle::rgb(10, 20, 30));
        const Parsed withoutSpace = parse("\x1b[48:2:40:50:60mx");
        QCOMPARE(styleAt(withoutSpace.line, 0).background, TextStyle::rgb(40, 50, 60));
        // Parameters after an extended colour still apply.
        const Parsed after = parse("\x1b[38;2;1;2;3;1mx");
        QVERIFY(styleAt(after.line, 0).has(TextStyle::Bold));
        QCOMPARE(styleAt(after.line, 0).foreground, TextStyle::rgb(1, 2, 3));
    }

    void invalidColoursAreIgnored()
    {
        const Parsed outOfRange = parse("\x1b[38;5;300mx");
        QVERIFY(styleAt(outOfRange.line, 0).isDefault());
        const Parsed truncated = parse("\x1b[38;2;1;2mx");
        QCOMPARE(truncated.text, QStringLiteral("x"));
        QVERIFY(styleAt(truncated.line, 0).isDefault());
        const Parsed badRgb = parse("\x1b[38;2;1;999;3mx");
        QVERIFY(styleAt(badRgb.line, 0).isDefault());
    }

    void styleCarriesToTheNextLine()
    {
        AnsiParser parser;
        parse("\x1b[33mwarning: starts here", &parser);
        const Parsed next = parse("and goes on", &parser);
        QCOMPARE(styleAt(next.line, 0).foreground, TextStyle::indexed(3));
        const Parsed reset = parse("\x1b[0mdone", &parser);
        QVERIFY(reset.line.spans.empty());
    }

    void otherSequencesAreStripped_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<QString>("text");
        QTest::newRow("erase line") << QByteArray("\x1b[2Kdone") << QStringLiteral("done");
        QTest::newRow("cursor up") << QByteArray("a\x1b[1Ab") << QStringLiteral("ab");
        QTest::newRow("cursor position")
            << QByteArray("\x1b[12;40Hx\x1b[Gy") << QStringLiteral("xy");
        QTest::newRow("hide cursor")
            << QByteArray("\x1b[?25lspin\x1b[?25h") << QStringLiteral("spin");
        QTest::newRow("window title") << QByteArray("\x1b]0;npm install\x07"
                                                    "added 3")
                                      << QStringLiteral("added 3");
        QTest::newRow("hyperlink")
            << QByteArray("see \x1b]8;;https://example.org\x1b\\docs\x1b]8;;\x1b\\ now")
            << QStringLiteral("see docs now");
        QTest::newRow("charset") << QByteArray("\x1b(Bplain") << QStringLiteral("plain");
        QTest::newRow("save cursor") << QByteArray("\x1b"
                                                   "7a\x1b"
                                                   "8b")
                                     << QStringLiteral("ab");
        QTest::newRow("dcs") << QByteArray("x\x1bPq#0;2;0;0;0\x1b\\y") << QStringLiteral("xy");
        QTest::newRow("unterminated osc") << QByteArray("x\x1b]0;title") << QStringLiteral("x");
        QTest::newRow("escape at end") << QByteArray("x\x1b") << QStringLiteral("x");
        QTest::newRow("cut csi") << QByteArray("x\x1b[31") << QStringLiteral("x");
        QTest::newRow("bell and nul") << QByteArray("a\x07"
                                                    "b\0c",
                                                    5)
                                      << QStringLiteral("abc");
        QTest::newRow("c1 control") << QByteArray("a\xc2\x9b"
                                                  "b")
                                    << QStringLiteral("ab");
        QTest::newRow("sgr with intermediate is not sgr")
            << QByteArray("\x1b[1 mx") << QStringLiteral("x");
    }

    void otherSequencesAreStripped()
    {
        QFETCH(QByteArray, raw);
        QFETCH(QString, text);
        const Parsed parsed = parse(raw);
        QCOMPARE(parsed.text, text);
    }

    void privateSgrChangesNothing()
    {
        const Parsed parsed = parse("\x1b[>4;1mx");
        QVERIFY(parsed.line.spans.empty());
    }

    void carriageReturn_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<QString>("text");
        QTest::newRow("progress") << QByteArray("10%\r20%\r30%") << QStringLiteral("30%");
        QTest::newRow("crlf") << QByteArray("line\r") << QStringLiteral("line");
        QTest::newRow("progress then crlf") << QByteArray("Downloading 50%\rDownloading 100%\r")
                                            << QStringLiteral("Downloading 100%");
        QTest::newRow("shorter text")
            << QByteArray("Progress: 99%\rDone") << QStringLiteral("Done");
        QTest::newRow("erase after return")
            << QByteArray("old text\r\x1b[Knew") << QStringLiteral("new");
    }

    void carriageReturn()
    {
        QFETCH(QByteArray, raw);
        QFETCH(QString, text);
        QCOMPARE(parse(raw).text, text);
    }

    void carriageReturnKeepsTheStyle()
    {
        const Parsed parsed = parse("\x1b[32mfetching\rdone");
        QCOMPARE(parsed.text, QStringLiteral("done"));
        QCOMPARE(styleAt(parsed.line, 0).foreground, TextStyle::indexed(2));
    }

    void backspace()
    {
        QCOMPARE(parse("abc\bd").text, QStringLiteral("abd"));
        QCOMPARE(parse("\b\bx").text, QStringLiteral("x"));
        QCOMPARE(parse("é\b!").text, QStringLiteral("!"));
    }

    void tabs()
    {
        QCOMPARE(parse("a\tb").text, QStringLiteral("a       b"));
        QCOMPARE(parse("abcdefgh\tX").text, QStringLiteral("abcdefgh        X"));
        QCOMPARE(parse("\t").text, QString(8, QLatin1Char(' ')));
        // Columns count cells, so a wide character takes two.
        QCOMPARE(parse("漢\tx").text, QStringLiteral("漢      x"));
        const Parsed coloured = parse("\x1b[31m\tred");
        QCOMPARE(coloured.text, QStringLiteral("        red"));
        QCOMPARE(styleAt(coloured.line, 0).foreground, TextStyle::indexed(1));
    }

    void invalidUtf8_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<QString>("text");
        const QString bad(QChar(0xfffd));
        QTest::newRow("stray byte") << QByteArray("a\xff"
                                                  "b")
                                    << (QStringLiteral("a") + bad + QStringLiteral("b"));
        QTest::newRow("cut sequence at end")
            << QByteArray("x\xe2\x82") << (QStringLiteral("x") + bad + bad);
        QTest::newRow("overlong") << QByteArray("\xc0\xaf") << (bad + bad);
        QTest::newRow("surrogate") << QByteArray("\xed\xa0\x80") << (bad + bad + bad);
        QTest::newRow("past U+10FFFF")
            << QByteArray("\xf4\x90\x80\x80") << QString(4, QChar(0xfffd));
        QTest::newRow("lone continuation") << QByteArray("\x80ok") << (bad + QStringLiteral("ok"));
    }

    void invalidUtf8()
    {
        QFETCH(QByteArray, raw);
        QFETCH(QString, text);
        const Parsed parsed = parse(raw);
        QCOMPARE(parsed.text, text);
        QVERIFY(!parsed.line.ascii);
        // What is stored is valid UTF-8 again.
        QCOMPARE(QString::fromUtf8(parsed.line.text).toUtf8(), parsed.line.text);
    }

    void validUtf8AndPositions()
    {
        const Parsed parsed = parse("é€\x1b[31m𝄞x");
        QCOMPARE(parsed.text, QStringLiteral("é€𝄞x"));
        QCOMPARE(parsed.line.utf16Length, 5);
        QVERIFY(!parsed.line.ascii);
        // Span starts count UTF-16 units: é and € are one each.
        QCOMPARE(parsed.line.spans.size(), size_t(1));
        QCOMPARE(parsed.line.spans.front().start, 2u);
    }

    void splitChunksGiveTheSameLines()
    {
        const QByteArray log =
            "\x1b[1m-----> Installing dependencies\x1b[0m\n"
            "       npm \x1b[33mWARN\x1b[39m deprecated caf\xc3\xa9@1.0: \xe2\x9c\x93 done\r\n"
            "\x1b[38;2;10;20;30mtrue colour\x1b[0m\tand a tab\n"
            "progress 10%\rprogress 100%\n"
            "broken \xff utf-8 and \xf0\x9d\x84\x9e clef\n"
            "no newline at the end";
        LogStore whole;
        whole.appendData(log);
        whole.finish();
        for (const qsizetype step : {1, 2, 3, 7, 64}) {
            LogStore pieces;
            for (qsizetype at = 0; at < log.size(); at += step)
                pieces.appendData(QByteArrayView(log).sliced(at, qMin(step, log.size() - at)));
            pieces.finish();
            QCOMPARE(pieces.lineCount(), whole.lineCount());
            for (qsizetype line = 0; line < whole.lineCount(); ++line) {
                QCOMPARE(pieces.lineText(line), whole.lineText(line));
                const auto a = pieces.spans(line);
                const auto b = whole.spans(line);
                QCOMPARE(a.size(), b.size());
                for (size_t i = 0; i < a.size(); ++i) {
                    QCOMPARE(a[i].start, b[i].start);
                    QCOMPARE(pieces.style(a[i].style), whole.style(b[i].style));
                }
            }
        }
        QCOMPARE(whole.lineText(1), QStringLiteral("       npm WARN deprecated café@1.0: ✓ done"));
        QCOMPARE(whole.lineText(3), QStringLiteral("progress 100%"));
        QCOMPARE(whole.lineText(5), QStringLiteral("no newline at the end"));
    }

    void strippedHelper()
    {
        QCOMPARE(AnsiParser::stripped("\x1b[32mok\x1b[0m\nline two\r\n\x1b[1mend"),
                 QStringLiteral("ok\nline two\nend"));
    }
};

QTEST_GUILESS_MAIN(TestAnsiText)
#include "tst_ansitext.moc"
