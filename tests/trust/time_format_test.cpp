#include "trust/time_format.h"

#include <gtest/gtest.h>

namespace {

TEST(TimeFormat, DatesAsPeopleTypeThem) {
  const int64_t midnight = 1799539200;  // 2027-01-10T00:00:00Z
  EXPECT_EQ(trust::from_date_text("2027-01-10T00:00:00Z"), midnight);
  EXPECT_EQ(trust::from_date_text("2027-01-10"), midnight);
  EXPECT_EQ(trust::from_date_text("2027-01-10T02:00:00+02:00"), midnight);
  EXPECT_EQ(trust::from_date_text("2027-01-09T19:30:00-04:30"), midnight);
  // Review 2: sscanf took signs and spaces, and timegm quietly turned 31 February into March.
  for (const char* bad :
       {"2027-01-10T00:00:00", "2027-1-10", "10.01.2027", "2027-01-10T02:00:00+2",
        "2027-01-10T02:00:00+25:00", "2027-01-10 00:00:00Z", "", "2027-02-31", "2027-13-01",
        "2027-01-10T24:00:00Z", "2027-06-30T23:59:60Z", "2027-00-00", "2027--1-10", "+027-01-10",
        "2027- 1- 1", "2027-01-10T 0: 0: 0Z", "2027-01-10T99:99:99Z"}) {
    EXPECT_FALSE(trust::from_date_text(bad)) << bad;
  }
  // The policy format stays strict: only the Z form.
  EXPECT_FALSE(trust::from_iso8601("2027-01-10"));
}

// Fuzzing found a policy with ActivateAt="0027-01-10T00:00:00Z": it parsed, but strftime wrote the
// year as "27", which no longer parsed. Every instant that parses writes back as the same text.
TEST(TimeFormat, EveryDateThatParsesWritesBackAsTheSameText) {
  for (const char* text :
       {"0027-01-10T00:00:00Z", "0000-01-01T00:00:00Z", "1969-12-31T23:59:59Z",
        "1970-01-01T00:00:00Z", "2027-01-10T00:00:00Z", "9999-12-31T23:59:59Z"}) {
    auto parsed = trust::from_iso8601(text);
    ASSERT_TRUE(parsed) << text;
    EXPECT_EQ(trust::to_iso8601(*parsed), text);
  }
}

}  // namespace
