// Stack deltas (format 2.0): consecutive samples of a thread share most of their user stack
// bytes, so the recorder writes each DWARF-mode sample as a kRecordStackDelta that carries only
// the 64-byte blocks that changed since the thread last showed them. Copying and compressing
// 8 KiB per sample was most of the recorder's cost at high rates; comparing is cheaper, and the
// blocks left to compress are a few percent of the stack.
//
// A delta record is the sample it encodes, with header type kRecordStackDelta and its
// STACK_USER field {u64 size; u8 data[size]; u64 dyn_size} holding the encoding (dyn_size =
// encoding length, size = that rounded up to 8):
//   u64 sp          address of the stack copy's first byte
//   u32 dyn_size    bytes of stack the sample copied
//   u32 reserved    0
//   u8  bitmap[(nblocks + 7) / 8]   bit k (least significant first) set: block k is literal
//   the literal blocks' bytes, in order, each clipped to [sp, sp + dyn_size)
// Block k covers [B + 64k, B + 64k + 64) with B = sp rounded down to 64, up to sp + dyn_size.
// A clear bit means: a whole block, equal to this thread's table entry for that address. Each
// thread's table has 256 entries, indexed by (block address / 64) mod 256; every delta record
// writes all of its whole blocks into the table of its TID. Tables start empty at the start of
// each PERF_RECORDS chunk, so chunks decode independently. Plain samples leave tables alone.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "formats/callchain_delta.h"
#include "formats/perf_sample.h"
#include "formats/recording_header.h"
#include "formats/sample_delta.h"

namespace kiln::format {

// The sample layouts of the events whose samples may be stored as deltas (those with user stack
// copies, callchains, or sample_delta_fits), found by record.
class StackLayouts {
public:
    StackLayouts() = default;
    explicit StackLayouts(const std::vector<EventDescription>& events);
    // nullptr when the record's event cannot have delta samples (or is unknown).
    const SampleLayout* of(std::span<const uint8_t> record) const;
    bool empty() const { return layouts_.empty(); }

private:
    std::vector<std::pair<uint64_t, SampleLayout>> layouts_;  // by event id
    bool one_event_ = false;  // a single event: every record has layouts_[0]'s layout
};

// The per-thread block tables both sides keep, started afresh with reset().
class StackBlockTables {
public:
    static constexpr size_t kBlock = 64;
    static constexpr size_t kEntries = 256;
    struct Table {
        uint64_t generation = 0;
        std::array<uint64_t, kEntries> tag;  // block address; 1 (never an address) = empty
        std::array<std::array<uint8_t, kBlock>, kEntries> bytes;
    };
    // The table entry of the block at `address` (a multiple of kBlock).
    static size_t entry_of(uint64_t address) { return static_cast<size_t>(address / kBlock) % kEntries; }
    void reset();
    Table& of(uint32_t tid);

private:
    std::unordered_map<uint32_t, std::unique_ptr<Table>> tables_;
    uint64_t generation_ = 1;
};

// Stack copies shorter than this (a uprobe's return address, -g fp's stack top) gain nothing
// from stack deltas: their samples are sample deltas, the copy kept as it is.
inline constexpr uint64_t kMinDeltaStack = 256;

class StackDeltaEncoder {
public:
    // encode() may write this many bytes more than the record it is given.
    static constexpr size_t kSlack = 48;
    // sp_register: the stack pointer's number in the sample_regs_user mask (arch-specific).
    explicit StackDeltaEncoder(int sp_register) : sp_register_(sp_register) {}
    // Writes `record`, a sample of `layout`, to out (room for record.size() + kSlack): as a
    // delta when it has registers and 256 bytes of stack or more, else as a plain sample with the unused
    // tail of its copy dropped (copy_trimmed_sample). Returns the bytes written.
    size_t encode(const SampleLayout& layout, std::span<const uint8_t> record, uint8_t* out);
    // Starts a new chunk: later deltas refer to nothing written before.
    void reset() { tables_.reset(); }

private:
    int sp_register_;
    StackBlockTables tables_;
};

// What expanding a PERF_RECORDS payload's stack and callchain deltas came to. A delta that does not decode
// (corrupt, or referring to blocks it never saw) is dropped and counted.
struct StackDeltaExpansion {
    bool expanded = false;
    uint64_t dropped = 0;
    std::string first_error;   // why the first dropped record was dropped
    std::string stream_error;  // the payload's own framing error (out holds the records before it)
    std::vector<std::string> warnings() const;  // what a reader reports of the above
};

// Expands one PERF_RECORDS payload a slice at a time: every delta record replaced by the
// sample it encodes (a stack delta's STACK_USER copy holding dyn_size bytes rounded up to 8,
// as a trimmed sample; a callchain, sample delta or compact sample's fixed fields and whole
// callchain), SAMPLE_TIMES records dropped, other records copied as they are. The recorder bounds a chunk's stored
// bytes, not what they expand to (5-20x with real stacks, far more in a crafted file), so a
// reader keeps its memory bounded by taking slices of about the size it chooses.
class StackDeltaExpander {
public:
    // layouts and payload must outlive the expander.
    StackDeltaExpander(const StackLayouts& layouts, std::span<const uint8_t> payload);
    StackDeltaExpander(StackLayouts&&, std::span<const uint8_t>) = delete;
    // Whether the payload holds delta records at all (else it can be read as it is).
    bool has_deltas() const { return result_.expanded; }
    // Replaces out's contents with the next records, expanded, ending with the record that
    // brings out to slice_bytes or more (or with the payload). False when nothing is left.
    bool next(std::vector<uint8_t>& out, size_t slice_bytes);
    bool done() const { return pos_ >= payload_.size(); }
    const StackDeltaExpansion& result() const { return result_; }  // dropped and errors so far

private:
    const StackLayouts& layouts_;
    std::span<const uint8_t> payload_;
    size_t pos_ = 0;
    StackBlockTables tables_;
    CallchainHistory callchains_;
    SampleHistory samples_;
    SampleTimes times_;  // the payload's SAMPLE_TIMES, for its compact samples
    StackDeltaExpansion result_;
};

// The whole payload in one go (StackDeltaExpander with no slice limit). Returns expanded =
// false, and leaves out alone, when the payload has no delta records.
StackDeltaExpansion expand_stack_deltas(const StackLayouts& layouts, std::span<const uint8_t> payload,
                                        std::vector<uint8_t>& out);

}  // namespace kiln::format
