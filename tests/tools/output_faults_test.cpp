// `kiln record` when its output fails: a full file system, the output removed while recording,
// a read-only file system, a pipe whose reader exits. Each gives one clear error and a non-zero
// exit; a command kiln started runs on to its end (kiln stays its parent); what was written
// before a failure reads with kiln info and kiln analyze.
#include <gtest/gtest.h>

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/tools/kiln_runner.h"

using namespace kiln::test;

namespace {

// A tmpfs of `bytes` mounted on a fresh directory, unmounted and removed at the end of the
// scope whatever the test did. mounted() is false (and why() says why) where mounting is not
// allowed.
class TmpfsMount {
public:
    explicit TmpfsMount(size_t bytes) {
        std::string tmpl = ::testing::TempDir();
        while (tmpl.size() > 1 && tmpl.back() == '/') tmpl.pop_back();
        tmpl += "/kiln_tmpfs_XXXXXX";
        if (::mkdtemp(tmpl.data()) == nullptr) {
            why_ = std::string("mkdtemp: ") + std::strerror(errno);
            return;
        }
        dir_ = tmpl;
        const std::string options = "size=" + std::to_string(bytes) + ",mode=0700";
        if (::mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) == 0)
            mounted_ = true;
        else
            why_ = std::string("mount -t tmpfs: ") + std::strerror(errno);
    }
    ~TmpfsMount() {
        if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
        if (!dir_.empty()) ::rmdir(dir_.c_str());
    }
    TmpfsMount(const TmpfsMount&) = delete;
    TmpfsMount& operator=(const TmpfsMount&) = delete;

    bool mounted() const { return mounted_; }
    const std::string& why() const { return why_; }
    std::string path(const std::string& name) const { return dir_ + "/" + name; }
    bool remount_read_only() const {
        return ::mount(nullptr, dir_.c_str(), nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) == 0;
    }

private:
    std::string dir_, why_;
    bool mounted_ = false;
};

// A process spawn()ed for a test, killed (its whole group) and reaped if the test ends before it.
class Spawned {
public:
    explicit Spawned(pid_t pid) : pid_(pid) {}
    ~Spawned() {
        if (pid_ <= 0) return;
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    Spawned(const Spawned&) = delete;
    Spawned& operator=(const Spawned&) = delete;
    pid_t pid() const { return pid_; }
    // Reaps the process if it has exited (its wait status in status()).
    bool exited() {
        if (pid_ <= 0) return true;
        if (::waitpid(pid_, &status_, WNOHANG) != pid_) return false;
        pid_ = -1;
        return true;
    }
    // Waits up to timeout_s for the exit; true when it came.
    bool wait_exit(double timeout_s) { return wait_until([this] { return exited(); }, timeout_s); }
    int status() const { return status_; }

private:
    pid_t pid_;
    int status_ = -1;
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A pid a workload wrote to a file (spinner's argv[2]), once it is there.
pid_t pid_in(const std::string& file, double timeout_s = 60) {
    pid_t pid = 0;
    wait_until(
        [&] {
            std::ifstream(file) >> pid;
            return pid > 0;
        },
        timeout_s);
    return pid;
}

// Alive, neither a zombie nor stopped.
bool running(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return false;
    const size_t close = line.rfind(')');
    if (close == std::string::npos || close + 2 >= line.size()) return false;
    const char state = line[close + 2];
    return state != 'Z' && state != 'T' && state != 't' && state != 'X';
}

bool gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

// The parent of a process (0 when it is gone).
pid_t parent_of(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return 0;
    const size_t close = line.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream fields(line.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    fields >> state >> ppid;
    return ppid;
}

// What a recording cut short must still give: kiln info and kiln analyze exit 0 with samples.
void expect_reads_with_samples(const std::string& file) {
    const auto info = info_json(file);
    ASSERT_TRUE(info.contains("samples")) << info.dump();
    EXPECT_GT(info["samples"].get<uint64_t>(), 0u) << info.dump();
    auto folded = run_kiln({"analyze", file, "--folded", "-"});
    ASSERT_EQ(folded.exit_code, 0) << folded.err;
    double total = 0;
    for (const auto& [stack, value] : parse_folded(folded.out)) total += value;
    EXPECT_GT(total, 0) << folded.out;
}

// The size of a short -g dwarf recording of the spinner: the tmpfs gets room for this and a
// little more, so the disk fills a few seconds into the recording, not in its sideband.
size_t short_recording_bytes() {
    TempDir tmp;
    const std::string out = tmp.path("probe.kiln");
    auto r = run_kiln({"record", "-q", "-g", "dwarf", "-F", "999", "-o", out, "--", workload("spinner_nofp"), "0.2"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    struct stat st{};
    return ::stat(out.c_str(), &st) == 0 ? static_cast<size_t>(st.st_size) : 0;
}

// kiln record -g dwarf -F 999 (megabytes a second) attached with -p to a spinner, writing as
// output_args say onto mnt (room for a short recording and a little more), until the disk
// fills: kiln must stop by itself, exit 1 (not die of a signal) and leave the spinner running.
// err gets kiln's stderr.
void record_attached_until_the_disk_fills(const std::vector<std::string>& output_args, std::string& err) {
    TempDir tmp;
    const std::string pid_file = tmp.path("spinner.pid");
    Spawned spinner(spawn({workload("spinner_nofp"), "600", pid_file}));
    ASSERT_GT(pid_in(pid_file), 0);
    const std::string err_file = tmp.path("kiln.err");
    std::vector<std::string> argv{kiln_bin(), "record", "-g", "dwarf", "-F", "999"};
    argv.insert(argv.end(), output_args.begin(), output_args.end());
    argv.insert(argv.end(), {"-p", std::to_string(spinner.pid())});
    Spawned kiln(spawn(argv, err_file));
    ASSERT_TRUE(kiln.wait_exit(240)) << "kiln did not stop when the disk filled: " << read_text(err_file);
    err = read_text(err_file);
    ASSERT_TRUE(WIFEXITED(kiln.status())) << "kiln died of signal " << WTERMSIG(kiln.status());
    EXPECT_EQ(WEXITSTATUS(kiln.status()), 1) << err;
    EXPECT_TRUE(running(spinner.pid())) << "kiln must leave the process it attached to running";
}

}  // namespace

// The file system fills while kiln records a command: one error naming the file and ENOSPC,
// the command runs on (not killed, not stopped) while kiln, no longer recording, waits for it
// without spinning; kiln exits 1 when the command ends; the file ends with its last whole chunk.
TEST(OutputFaults, FullDiskStopsRecordingTheCommandRunsOnAndTheFileReads) {
    const size_t probe = short_recording_bytes();
    ASSERT_GT(probe, 0u);
    TmpfsMount mnt(probe + (192u << 10));
    ASSERT_TRUE(mnt.mounted()) << mnt.why() << " (recording tests run as root)";
    TempDir tmp;
    const std::string out = mnt.path("full.kiln");
    const std::string pid_file = tmp.path("spinner.pid");
    const std::string err_file = tmp.path("kiln.err");
    Spawned kiln(spawn({kiln_bin(), "record", "-g", "dwarf", "-F", "999", "-o", out, "--", workload("spinner_nofp"),
                        "600", pid_file},
                       err_file));
    const pid_t spinner = pid_in(pid_file);
    ASSERT_GT(spinner, 0) << read_text(err_file);

    ASSERT_TRUE(
        wait_until([&] { return contains(read_text(err_file), "No space left on device") || kiln.exited(); }, 240))
        << "the disk never filled: " << read_text(err_file);
    ASSERT_FALSE(kiln.exited()) << "kiln exited before the command ended: " << read_text(err_file);
    const std::string note = read_text(err_file);
    EXPECT_TRUE(contains(note, "writing " + out + ": No space left on device")) << note;
    EXPECT_TRUE(contains(note, "runs on unrecorded")) << note;
    EXPECT_TRUE(running(spinner)) << "the command must run on after the failure";
    EXPECT_EQ(parent_of(spinner), kiln.pid()) << "kiln stays the command's parent";

    // Not spinning: while the command uses a CPU second, kiln (which no longer records) uses
    // next to nothing.
    const double kiln_before = cpu_seconds_of(kiln.pid());
    const double spinner_before = cpu_seconds_of(spinner);
    ASSERT_TRUE(wait_until([&] { return cpu_seconds_of(spinner) - spinner_before >= 1.0; }, 120));
    EXPECT_LT(cpu_seconds_of(kiln.pid()) - kiln_before, 0.2);
    EXPECT_FALSE(kiln.exited());

    // The command ends on its own (as far as kiln knows): kiln exits 1 after it, having reaped it.
    ASSERT_EQ(::kill(spinner, SIGTERM), 0);
    ASSERT_TRUE(kiln.wait_exit(60)) << read_text(err_file);
    ASSERT_TRUE(WIFEXITED(kiln.status())) << "kiln died of signal " << WTERMSIG(kiln.status());
    EXPECT_EQ(WEXITSTATUS(kiln.status()), 1);
    EXPECT_TRUE(gone(spinner)) << "kiln left its command unreaped";
    const std::string err = read_text(err_file);
    EXPECT_TRUE(contains(err, "kiln record: writing " + out + ": No space left on device; recording stopped")) << err;
    EXPECT_TRUE(contains(err, out + " keeps what was recorded up to its last whole chunk")) << err;
    EXPECT_FALSE(contains(err, "terminate called") || contains(err, "Aborted")) << err;

    const auto info = info_json(out);
    EXPECT_FALSE(info["torn"].get<bool>()) << "the torn chunk is cut off: " << info.dump();
    EXPECT_FALSE(info["complete"].get<bool>()) << info.dump();
    expect_reads_with_samples(out);
}

// The same with -p: nothing to wait for, so kiln stops at once and leaves the process running.
TEST(OutputFaults, FullDiskEndsAnAttachedRecordingAndLeavesTheProcess) {
    const size_t probe = short_recording_bytes();
    ASSERT_GT(probe, 0u);
    TmpfsMount mnt(probe + (192u << 10));
    ASSERT_TRUE(mnt.mounted()) << mnt.why() << " (recording tests run as root)";
    const std::string out = mnt.path("attached.kiln");
    std::string err;
    ASSERT_NO_FATAL_FAILURE(record_attached_until_the_disk_fills({"-o", out}, err));
    EXPECT_TRUE(contains(err, "kiln record: writing " + out + ": No space left on device; recording stopped")) << err;
    EXPECT_FALSE(contains(err, "runs on unrecorded")) << err;
    expect_reads_with_samples(out);
}

// --switch-output on a disk that fills: the file that could not be started (it would hold the
// kernel symbols again) is removed, so every file left is a recording with samples.
TEST(OutputFaults, FullDiskEndsSwitchOutputAndLeavesOnlyReadableFiles) {
    const size_t probe = short_recording_bytes();
    ASSERT_GT(probe, 0u);
    TmpfsMount mnt(probe + (192u << 10));
    ASSERT_TRUE(mnt.mounted()) << mnt.why() << " (recording tests run as root)";
    std::string err;
    ASSERT_NO_FATAL_FAILURE(record_attached_until_the_disk_fills({"--switch-output", "1s", "-o", mnt.path("run.kiln")}, err));
    EXPECT_TRUE(contains(err, "kiln record: writing " + mnt.path("run-"))) << err;
    EXPECT_TRUE(contains(err, "No space left on device; recording stopped")) << err;
    size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(mnt.path(""))) {
        ++files;
        SCOPED_TRACE(e.path().string());
        expect_reads_with_samples(e.path());
    }
    EXPECT_GE(files, 1u);
}

// -o on a read-only file system: refused before the command is started, for a new file, an
// existing one (which cannot even be kept as .old) and --switch-output.
TEST(OutputFaults, ReadOnlyFileSystemIsRefusedBeforeTheCommandStarts) {
    TmpfsMount mnt(1u << 20);
    ASSERT_TRUE(mnt.mounted()) << mnt.why() << " (recording tests run as root)";
    std::ofstream(mnt.path("existing.kiln")) << "old";
    ASSERT_TRUE(mnt.remount_read_only()) << std::strerror(errno);
    TempDir tmp;
    const std::string marker = tmp.path("the-command-ran");
    const std::vector<std::vector<std::string>> cases = {
        {"-o", mnt.path("new.kiln")},
        {"-o", mnt.path("existing.kiln")},
        {"--switch-output", "1s", "-o", mnt.path("series.kiln")},
    };
    for (const auto& c : cases) {
        std::vector<std::string> args{"record"};
        args.insert(args.end(), c.begin(), c.end());
        args.insert(args.end(), {"--", "/bin/sh", "-c", "echo > " + marker});
        auto r = run_kiln(args);
        EXPECT_NE(r.exit_code, 0) << c.back();
        EXPECT_EQ(r.signal, 0) << c.back();
        EXPECT_TRUE(contains(r.err, "Read-only file system")) << r.err;
        EXPECT_TRUE(contains(r.err, "choose a writable location with -o")) << r.err;
        EXPECT_FALSE(std::filesystem::exists(marker)) << "the command ran: " << r.err;
    }
}

// The output's directory removed while recording: the open file would go on taking disk space
// nobody can see, for a recording nobody can read. kiln says so and stops recording.
TEST(OutputFaults, RemovedOutputStopsTheRecording) {
    TempDir tmp;
    const std::string dir = tmp.path("out");
    ASSERT_TRUE(std::filesystem::create_directory(dir));
    const std::string out = dir + "/gone.kiln";
    const std::string pid_file = tmp.path("spinner.pid");
    const std::string err_file = tmp.path("kiln.err");
    Spawned kiln(spawn({kiln_bin(), "record", "-F", "999", "-o", out, "--", workload("spinner_fp"), "600", pid_file},
                       err_file));
    const pid_t spinner = pid_in(pid_file);
    ASSERT_GT(spinner, 0) << read_text(err_file);
    std::filesystem::remove_all(dir);
    ASSERT_TRUE(
        wait_until([&] { return contains(read_text(err_file), "was removed while recording") || kiln.exited(); }, 60))
        << read_text(err_file);
    EXPECT_TRUE(running(spinner));
    ASSERT_EQ(::kill(spinner, SIGTERM), 0);
    ASSERT_TRUE(kiln.wait_exit(60)) << read_text(err_file);
    ASSERT_TRUE(WIFEXITED(kiln.status()));
    EXPECT_EQ(WEXITSTATUS(kiln.status()), 1);
    const std::string err = read_text(err_file);
    EXPECT_TRUE(contains(err, "kiln record: " + out + " was removed while recording")) << err;
    EXPECT_FALSE(contains(err, "keeps what was recorded")) << err;
}

// With --switch-output the next file cannot be created (or the current one is seen gone first):
// a clear error, exit 1.
TEST(OutputFaults, RemovedDirectoryEndsSwitchOutput) {
    TempDir tmp;
    const std::string dir = tmp.path("series");
    ASSERT_TRUE(std::filesystem::create_directory(dir));
    const std::string pid_file = tmp.path("spinner.pid");
    Spawned spinner(spawn({workload("spinner_fp"), "600", pid_file}));
    ASSERT_GT(pid_in(pid_file), 0);
    const std::string err_file = tmp.path("kiln.err");
    Spawned kiln(spawn({kiln_bin(), "record", "-F", "999", "--switch-output", "1s", "-o", dir + "/run.kiln", "-p",
                        std::to_string(spinner.pid())},
                       err_file));
    ASSERT_TRUE(wait_until([&] { return contains(read_text(err_file), "kiln: wrote ") || kiln.exited(); }, 60))
        << read_text(err_file);
    std::filesystem::remove_all(dir);
    ASSERT_TRUE(kiln.wait_exit(60)) << "kiln went on without its directory: " << read_text(err_file);
    ASSERT_TRUE(WIFEXITED(kiln.status()));
    EXPECT_EQ(WEXITSTATUS(kiln.status()), 1);
    const std::string err = read_text(err_file);
    EXPECT_TRUE(contains(err, "kiln record: ")) << err;
    EXPECT_TRUE(contains(err, dir + "/run-")) << err;
    EXPECT_TRUE(contains(err, "was removed while recording") || contains(err, "No such file or directory")) << err;
    EXPECT_TRUE(contains(err, "recording stopped")) << err;
    EXPECT_TRUE(running(spinner.pid()));
}

// -o - writes the recording to standard output; the command's own output goes to standard
// error, so the stream stays a recording.
TEST(OutputFaults, StandardOutputCarriesTheRecording) {
    TempDir tmp;
    const std::string out = tmp.path("piped.kiln");
    auto r = run({"/bin/sh", "-c",
                  "exec \"$0\" record -q -F 999 -o - -- "
                  "/bin/sh -c 'echo COMMAND-OUTPUT; exec \"$1\" 0.5' sh \"$1\" > \"$2\"",
                  kiln_bin(), workload("spinner_fp"), out});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "COMMAND-OUTPUT")) << r.err;
    EXPECT_FALSE(contains(read_text(out), "COMMAND-OUTPUT"));
    expect_reads_with_samples(out);
}

// -o - into a pipe whose reader exits early: EPIPE, not a SIGPIPE death; a clear error, exit
// 1, and the command neither killed nor stopped nor orphaned: kiln waits for it, passing on
// SIGINT.
TEST(OutputFaults, PipeClosedEarlyIsAnErrorAndTheCommandIsNotOrphaned) {
    TempDir tmp;
    const std::string pid_file = tmp.path("spinner.pid");
    const std::string err_file = tmp.path("kiln.err");
    const std::string status_file = tmp.path("kiln.status");
    const std::string head_file = tmp.path("head.bytes");
    Spawned shell(spawn({"/bin/bash", "-c",
                         "\"$0\" record -F 999 -o - -- \"$1\" 600 \"$2\" 2> \"$3\" | head -c 1000 > \"$4\"; "
                         "echo ${PIPESTATUS[0]} > \"$5\"",
                         kiln_bin(), workload("spinner_fp"), pid_file, err_file, head_file, status_file}));
    const pid_t spinner = pid_in(pid_file);
    ASSERT_GT(spinner, 0) << read_text(err_file);
    ASSERT_TRUE(wait_until([&] { return contains(read_text(err_file), "Broken pipe") || shell.exited(); }, 60))
        << read_text(err_file);
    EXPECT_TRUE(running(spinner)) << read_text(err_file);
    // Ctrl-C of kiln still reaches the command while kiln waits for it.
    const pid_t kiln = parent_of(spinner);
    ASSERT_GT(kiln, 1) << "the command was orphaned";
    ASSERT_EQ(::kill(kiln, SIGINT), 0);
    ASSERT_TRUE(shell.wait_exit(60)) << read_text(err_file);
    EXPECT_EQ(read_text(status_file), "1\n") << read_text(err_file);
    EXPECT_TRUE(gone(spinner));
    const std::string err = read_text(err_file);
    EXPECT_TRUE(contains(err, "kiln record: writing standard output: Broken pipe; recording stopped")) << err;
    EXPECT_EQ(read_text(head_file).substr(0, 4), "KILN") << "the pipe carried something else";
}
