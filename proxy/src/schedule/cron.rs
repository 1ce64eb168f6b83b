//! When the unattended close runs: a 5-field cron expression (croner) read in an IANA time zone
//! (chrono-tz). Pure functions of the instant they are asked at, so tests pass any time.

use std::str::FromStr as _;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

/// A parsed `SRM_XERO_SCHEDULE` in `SRM_XERO_TIMEZONE`.
#[derive(Debug, Clone)]
pub struct Schedule {
    expression: String,
    cron: Cron,
    zone: Tz,
}

impl Schedule {
    /// Reads a 5-field cron expression (minute hour day-of-month month day-of-week) for `zone`;
    /// the error says what is wrong, in words.
    pub fn parse(expression: &str, zone: Tz) -> Result<Schedule, String> {
        let expression = expression.trim();
        let fields = expression.split_whitespace().count();
        if fields != 5 {
            return Err(format!(
                "{expression:?} has {fields} fields; a schedule has 5 (minute hour day-of-month \
                 month day-of-week), e.g. \"30 6 * * 1-5\" for 06:30 on weekdays"
            ));
        }
        let cron = CronParser::builder()
            .seconds(Seconds::Disallowed)
            .year(Year::Disallowed)
            .build()
            .parse(expression)
            .map_err(|e| format!("{expression:?} is not a cron expression: {e}"))?;
        let schedule = Schedule {
            expression: expression.to_owned(),
            cron,
            zone,
        };
        // An expression such as "0 0 30 2 *" parses but never comes round.
        if schedule.next_after(DateTime::<Utc>::UNIX_EPOCH).is_none() {
            return Err(format!("{expression:?} never runs"));
        }
        Ok(schedule)
    }

    /// The expression as given (trimmed).
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The time zone it is read in.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The first run after `now` (never `now` itself).
    pub fn next_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_next_occurrence(&now.with_timezone(&self.zone), false)
            .ok()
            .map(|at| at.with_timezone(&Utc))
    }

    /// The latest run due after `since` and at or before `now`: a run missed in between (while
    /// the proxy was down), which runs once, however many came round.
    pub fn missed(&self, since: DateTime<Utc>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_previous_occurrence(&now.with_timezone(&self.zone), true)
            .ok()
            .map(|at| at.with_timezone(&Utc))
            .filter(|at| *at > since)
    }
}

/// Reads an IANA time zone name (`SRM_XERO_TIMEZONE`).
pub fn zone(name: &str) -> Result<Tz, String> {
    Tz::from_str(name.trim()).map_err(|_| {
        format!("{name:?} is not an IANA time zone name such as America/Vancouver or UTC")
    })
}

/// The last day a run may post at `now`: yesterday in `zone`, as today is still open there.
pub fn last_closed_day(now: DateTime<Utc>, zone: Tz) -> NaiveDate {
    let today = now.with_timezone(&zone).date_naive();
    today.pred_opt().unwrap_or(today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn vancouver() -> Tz {
        zone("America/Vancouver").unwrap()
    }

    #[test]
    fn the_next_run_is_read_in_the_schedules_time_zone() {
        let weekdays = Schedule::parse(" 30 6 * * 1-5 ", vancouver()).unwrap();
        assert_eq!(weekdays.expression(), "30 6 * * 1-5");
        // Tuesday 20 Aug 2019, 09:00 UTC is 02:00 in Vancouver (PDT, UTC−7).
        assert_eq!(
            weekdays.next_after(at("2019-08-20T09:00:00Z")),
            Some(at("2019-08-20T13:30:00Z"))
        );
        // At the minute itself, the next is a day later; Friday's next is Monday's.
        assert_eq!(
            weekdays.next_after(at("2019-08-20T13:30:00Z")),
            Some(at("2019-08-21T13:30:00Z"))
        );
        assert_eq!(
            weekdays.next_after(at("2019-08-23T14:00:00Z")),
            Some(at("2019-08-26T13:30:00Z"))
        );
        // In winter Vancouver is UTC−8.
        assert_eq!(
            weekdays.next_after(at("2019-12-03T00:00:00Z")),
            Some(at("2019-12-03T14:30:00Z"))
        );
    }

    #[test]
    fn a_run_missed_while_down_is_the_latest_one_due() {
        let daily = Schedule::parse("0 6 * * *", Tz::UTC).unwrap();
        let since = at("2019-08-18T07:00:00Z");
        // Down from the 18th to the 20th at 09:00: the runs of the 19th and 20th were missed,
        // and one run (the 20th's) makes up for them.
        assert_eq!(
            daily.missed(since, at("2019-08-20T09:00:00Z")),
            Some(at("2019-08-20T06:00:00Z"))
        );
        // Exactly at the minute: due now.
        assert_eq!(
            daily.missed(since, at("2019-08-19T06:00:00Z")),
            Some(at("2019-08-19T06:00:00Z"))
        );
        // Nothing came round since.
        assert_eq!(daily.missed(since, at("2019-08-19T05:59:59Z")), None);
        assert_eq!(
            daily.missed(at("2019-08-20T06:00:00Z"), at("2019-08-20T09:00:00Z")),
            None
        );
    }

    #[test]
    fn never_today_the_last_closed_day_is_yesterday_where_the_company_is() {
        // 05:00 UTC on the 20th is still the 19th in Vancouver: the last closed day is the 18th.
        assert_eq!(
            last_closed_day(at("2019-08-20T05:00:00Z"), vancouver()),
            NaiveDate::from_ymd_opt(2019, 8, 18).unwrap()
        );
        assert_eq!(
            last_closed_day(at("2019-08-20T05:00:00Z"), Tz::UTC),
            NaiveDate::from_ymd_opt(2019, 8, 19).unwrap()
        );
    }

    #[test]
    fn a_bad_schedule_or_zone_is_named_in_words() {
        for (bad, says) in [
            ("0 6 * *", "has 4 fields"),
            ("0 0 6 * * *", "has 6 fields"),
            ("61 6 * * *", "is not a cron expression"),
            ("0 0 30 2 *", "never runs"),
            ("", "has 0 fields"),
        ] {
            let error = Schedule::parse(bad, Tz::UTC).unwrap_err();
            assert!(error.contains(says), "{bad:?}: {error}");
        }
        assert!(zone("Mars/Olympus").unwrap_err().contains("IANA"));
        assert_eq!(zone(" Europe/London ").unwrap(), Tz::Europe__London);
    }
}
