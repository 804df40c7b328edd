// Drives a fuzz target without libFuzzer: replays every file of the corpus folders given
// as arguments, then, for SLIPWAY_FUZZ_SECONDS, feeds it mutations of them (bit flips,
// inserted and erased bytes, repeated pieces, splices, dictionary words from
// SLIPWAY_FUZZ_DICT). SLIPWAY_FUZZ_SEED repeats a run. The input being run when the target
// crashes is written to crash-input in the working folder.

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

namespace {

using Bytes = std::vector<std::uint8_t>;

const Bytes *g_current = nullptr;

void saveCurrent(int signal)
{
    // Only async-signal-safe calls here.
    if (g_current) {
        const int fd = ::open("crash-input", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            if (::write(fd, g_current->data(), g_current->size()) < 0) {
            }
            ::close(fd);
        }
        const char note[] = "fuzz: the input that crashed is in crash-input\n";
        if (::write(2, note, sizeof note - 1) < 0) {
        }
    }
    std::signal(signal, SIG_DFL);
    std::raise(signal);
}

Bytes readFile(const std::filesystem::path &path)
{
    std::ifstream file(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

// libFuzzer's dictionary format: one "quoted string" per line, \xNN escapes, # comments.
std::vector<Bytes> readDictionary(const char *path)
{
    std::vector<Bytes> words;
    std::ifstream file(path);
    std::string line;
    while (std::getline(file, line)) {
        const auto open = line.find('"');
        const auto close = line.rfind('"');
        if (line.empty() || line[0] == '#' || open == std::string::npos || close <= open)
            continue;
        Bytes word;
        for (std::size_t i = open + 1; i < close; ++i) {
            if (line[i] == '\\' && i + 1 < close) {
                const char next = line[++i];
                if (next == 'x' && i + 2 < close) {
                    word.push_back(std::uint8_t(std::stoi(line.substr(i + 1, 2), nullptr, 16)));
                    i += 2;
                } else {
                    word.push_back(std::uint8_t(next));
                }
            } else {
                word.push_back(std::uint8_t(line[i]));
            }
        }
        words.push_back(std::move(word));
    }
    return words;
}

Bytes mutate(const std::vector<Bytes> &corpus, const std::vector<Bytes> &words,
             std::mt19937_64 &random)
{
    const auto pick = [&random](std::size_t bound) {
        return bound == 0 ? std::size_t(0)
                          : std::uniform_int_distribution<std::size_t>(0, bound - 1)(random);
    };
    Bytes input = corpus.empty() ? Bytes() : corpus[pick(corpus.size())];
    const int steps = 1 + int(pick(4));
    for (int step = 0; step < steps; ++step) {
        switch (pick(7)) {
        case 0: // flip a bit
            if (!input.empty())
                input[pick(input.size())] ^= std::uint8_t(1u << pick(8));
            break;
        case 1: // insert a byte, often a meaningful one
        {
            static const std::uint8_t special[] = {'\r', '\n', ':', ' ',  '\t', '/', '.', '#',
                                                   '"',  '\'', 0,   0xff, '-',  '{', '}', '['};
            const std::uint8_t byte =
                pick(2) ? special[pick(sizeof special)] : std::uint8_t(pick(256));
            input.insert(input.begin() + std::ptrdiff_t(pick(input.size() + 1)), byte);
            break;
        }
        case 2: // erase a piece
            if (!input.empty()) {
                const std::size_t from = pick(input.size());
                const std::size_t length = 1 + pick(std::min<std::size_t>(input.size() - from, 64));
                input.erase(input.begin() + std::ptrdiff_t(from),
                            input.begin() + std::ptrdiff_t(from + length));
            }
            break;
        case 3: // repeat a piece
            if (!input.empty() && input.size() < 1 << 20) {
                const std::size_t from = pick(input.size());
                const std::size_t length =
                    1 + pick(std::min<std::size_t>(input.size() - from, 256));
                const Bytes piece(input.begin() + std::ptrdiff_t(from),
                                  input.begin() + std::ptrdiff_t(from + length));
                const std::size_t times = 1 + pick(pick(2) ? 3 : 300);
                for (std::size_t i = 0; i < times; ++i)
                    input.insert(input.begin() + std::ptrdiff_t(from), piece.begin(), piece.end());
            }
            break;
        case 4: // splice with another input
            if (!corpus.empty()) {
                const Bytes &other = corpus[pick(corpus.size())];
                const std::size_t cut = pick(input.size() + 1);
                const std::size_t from = pick(other.size() + 1);
                input.resize(cut);
                input.insert(input.end(), other.begin() + std::ptrdiff_t(from), other.end());
            }
            break;
        case 5: // a dictionary word
            if (!words.empty()) {
                const Bytes &word = words[pick(words.size())];
                input.insert(input.begin() + std::ptrdiff_t(pick(input.size() + 1)), word.begin(),
                             word.end());
            }
            break;
        default: // overwrite a byte with an interesting value
            if (!input.empty()) {
                static const std::uint8_t values[] = {0, 1, 0x7f, 0x80, 0xff, '0', '9', 'A'};
                input[pick(input.size())] = values[pick(sizeof values)];
            }
            break;
        }
    }
    return input;
}

} // namespace

int main(int argc, char **argv)
{
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    for (int signal : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL})
        std::signal(signal, saveCurrent);

    std::vector<Bytes> corpus;
    for (int i = 1; i < argc; ++i) {
        const std::filesystem::path path(argv[i]);
        if (std::filesystem::is_directory(path)) {
            std::vector<std::filesystem::path> files;
            for (const auto &entry : std::filesystem::recursive_directory_iterator(path))
                if (entry.is_regular_file())
                    files.push_back(entry.path());
            std::sort(files.begin(), files.end());
            for (const auto &file : files)
                corpus.push_back(readFile(file));
        } else if (std::filesystem::is_regular_file(path)) {
            corpus.push_back(readFile(path));
        } else {
            std::fprintf(stderr, "fuzz: %s is neither a file nor a folder\n", argv[i]);
            return 2;
        }
    }
    for (const Bytes &input : corpus) {
        g_current = &input;
        LLVMFuzzerTestOneInput(input.data(), input.size());
    }

    const char *secondsText = std::getenv("SLIPWAY_FUZZ_SECONDS");
    const double seconds = secondsText ? std::atof(secondsText) : 0.0;
    const char *seedText = std::getenv("SLIPWAY_FUZZ_SEED");
    const std::uint64_t seed =
        seedText ? std::strtoull(seedText, nullptr, 10) : std::random_device()();
    const char *dictionary = std::getenv("SLIPWAY_FUZZ_DICT");
    const std::vector<Bytes> words = dictionary ? readDictionary(dictionary) : std::vector<Bytes>();
    std::mt19937_64 random(seed);
    std::uint64_t runs = 0;
    const auto start = std::chrono::steady_clock::now();
    const auto end = start + std::chrono::duration<double>(seconds);
    while (seconds > 0 && std::chrono::steady_clock::now() < end) {
        for (int i = 0; i < 64; ++i, ++runs) {
            const Bytes input = mutate(corpus, words, random);
            g_current = &input;
            LLVMFuzzerTestOneInput(input.data(), input.size());
        }
    }
    g_current = nullptr;
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("fuzz: %zu corpus inputs replayed, %llu mutations in %.1f s (%.0f/s), "
                "SLIPWAY_FUZZ_SEED=%llu\n",
                corpus.size(), static_cast<unsigned long long>(runs), took,
                took > 0 ? double(runs) / took : 0.0, static_cast<unsigned long long>(seed));
    return 0;
}
