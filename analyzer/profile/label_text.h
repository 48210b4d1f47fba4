// The text of a sample label (its key, a string value): kept once per distinct text for the
// whole process, a label holds a pointer to it. A long system-wide recording's profile has
// hundreds of thousands of distinct samples with five labels each; two std::strings per label
// made labels alone ~360 bytes a sample, a third of the profile's memory. The texts are few
// (keys, process and thread names) and live as long as the process.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

namespace kiln::analyzer {

class LabelText {
public:
    LabelText() : text_(&intern({})) {}
    LabelText(std::string_view s) : text_(&intern(s)) {}  // NOLINT: implicit, as a std::string is
    LabelText(const std::string& s) : LabelText(std::string_view(s)) {}  // NOLINT
    LabelText(const char* s) : LabelText(std::string_view(s)) {}  // NOLINT

    const std::string& str() const { return *text_; }
    operator const std::string&() const { return *text_; }  // NOLINT
    operator std::string_view() const { return *text_; }    // NOLINT
    bool empty() const { return text_->empty(); }
    friend bool operator==(const LabelText& a, std::string_view b) { return *a.text_ == b; }
    friend std::ostream& operator<<(std::ostream& out, const LabelText& t) { return out << *t.text_; }

private:
    // The one copy of s (thread-safe).
    static const std::string& intern(std::string_view s);
    const std::string* text_;
};

}  // namespace kiln::analyzer
