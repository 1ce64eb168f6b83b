//! Reading SRM's G/L feed: JSON pages and CSV files, every refusal named.

mod common;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use common::{day, dec};
use srm_xero_shared::feed::{
    FeedCollector, FeedError, FieldProblem, Location, Source, parse_csv, parse_page,
};

const PAGE: &str = r#"{
  "company": "Acme Equipment Rentals", "currency": "CAD",
  "postings": [
    {"id": "GL-000123457", "date": "2019-08-19", "account": "4000", "division": "1",
     "account_description": "Rental Revenue", "debit": "0.00", "credit": "1250.00",
     "source": "AR", "reference": "INV-20190819-0042", "store": "001",
     "memo": "Contract 55812 excavator rental"},
    {"id": "GL-000123458", "date": "2019-08-19", "account": 1200, "division": "1",
     "debit": 1250.005, "credit": 0, "source": "XX"}
  ],
  "next_cursor": "abc"
}"#;

fn page_with(posting: &str) -> String {
    format!(r#"{{"company":"c","currency":"CAD","postings":[{posting}],"next_cursor":null}}"#)
}

fn field_error(text: &str) -> (String, FieldProblem) {
    match parse_page(&page_with(text)) {
        Err(FeedError::Field { field, problem, .. }) => (field.to_owned(), problem),
        other => panic!("expected a field error, got {other:?}"),
    }
}

both_targets! {
    fn a_json_page_reads_every_field_exactly() {
        let page = parse_page(PAGE).unwrap();
        assert_eq!(page.company, "Acme Equipment Rentals");
        assert_eq!(page.next_cursor.as_deref(), Some("abc"));
        let [first, second] = page.postings.as_slice() else { panic!("two postings") };
        assert_eq!(first.date, day("2019-08-19"));
        assert_eq!(first.credit, dec("1250.00"));
        assert_eq!(first.source, Source::Ar);
        assert_eq!(first.store.as_deref(), Some("001"));
        assert_eq!(second.account, "1200");
        assert_eq!(second.debit, dec("1250.005"));
        assert_eq!(second.debit.scale(), 3);
        assert_eq!(second.source, Source::Other("XX".into()));
    }

    fn a_json_number_is_read_from_its_text_never_through_a_float() {
        let page = parse_page(&page_with(r#"{"id":"a","date":"2019-08-19","account":"1","debit":0.1,"source":"GJ"}"#)).unwrap();
        assert_eq!(page.postings[0].debit, dec("0.1"));
        assert_eq!(page.postings[0].debit.to_string(), "0.1");
    }

    fn a_missing_field_is_named_with_the_posting() {
        let err = parse_page(&page_with(r#"{"id":"GL-9","account":"1","debit":"1","source":"GJ"}"#)).unwrap_err();
        assert_eq!(err.to_string(), "posting #1 (GL-9): field `date` is missing");
        assert_eq!(field_error(r#"{"date":"2019-08-19","account":"1","source":"GJ"}"#), ("id".into(), FieldProblem::Missing));
    }

    fn a_negative_amount_is_refused() {
        let (field, problem) = field_error(r#"{"id":"a","date":"2019-08-19","account":"1","debit":"-5.00","source":"GJ"}"#);
        assert_eq!(field, "debit");
        assert!(problem.to_string().contains("negative"), "{problem}");
    }

    fn a_non_number_is_refused() {
        let (field, problem) = field_error(r#"{"id":"a","date":"2019-08-19","account":"1","credit":"twelve","source":"GJ"}"#);
        assert_eq!(field, "credit");
        assert_eq!(problem.to_string(), "`twelve` is not a number");
        let (field, problem) = field_error(r#"{"id":"a","date":"2019-08-19","account":"1","credit":[1],"source":"GJ"}"#);
        assert_eq!((field.as_str(), problem), ("credit", FieldProblem::NotText("[1]".into())));
    }

    fn an_unknown_date_format_is_refused() {
        let (field, problem) = field_error(r#"{"id":"a","date":"19.08.2019","account":"1","debit":"1","source":"GJ"}"#);
        assert_eq!(field, "date");
        assert_eq!(problem, FieldProblem::Date("19.08.2019".into()));
        let (_, problem) = field_error(r#"{"id":"a","date":"2019-02-30","account":"1","debit":"1","source":"GJ"}"#);
        assert_eq!(problem, FieldProblem::Date("2019-02-30".into()));
    }

    fn both_debit_and_credit_is_refused() {
        let err = parse_page(&page_with(r#"{"id":"a","date":"2019-08-19","account":"1","debit":"1","credit":"2","source":"GJ"}"#)).unwrap_err();
        assert!(matches!(err, FeedError::BothSides { .. }), "{err:?}");
        assert!(err.to_string().contains("both debit (1) and credit (2) are non-zero"));
    }

    fn an_account_longer_than_ten_characters_is_refused() {
        let (field, problem) = field_error(r#"{"id":"a","date":"2019-08-19","account":"12345678901","debit":"1","source":"GJ"}"#);
        assert_eq!(field, "account");
        assert!(matches!(problem, FieldProblem::TooLong { length: 11, max: 10, .. }));
    }

    fn a_duplicate_posting_id_is_refused_on_a_page_and_across_pages() {
        let one = r#"{"id":"GL-1","date":"2019-08-19","account":"1","debit":"1","source":"GJ"}"#;
        let err = parse_page(&page_with(&format!("{one},{one}"))).unwrap_err();
        assert_eq!(err.to_string(), "posting #2 (GL-1): posting id `GL-1` appears twice (first at posting #1 (GL-1))");
        let mut feed = FeedCollector::default();
        feed.add_page(parse_page(&page_with(one)).unwrap()).unwrap();
        let err = feed.add_page(parse_page(&page_with(one)).unwrap()).unwrap_err();
        assert!(matches!(err, FeedError::DuplicateId { at: Location::Page { page: 2, .. }, .. }), "{err:?}");
        assert_eq!(feed.len(), 1);
    }

    fn a_document_that_is_not_a_feed_is_refused_whole() {
        assert!(matches!(parse_page("{"), Err(FeedError::Syntax(_))));
        assert!(matches!(parse_page(r#"{"postings": 3}"#), Err(FeedError::Syntax(_))));
    }

    fn a_csv_file_reads_us_dates_and_thousands_separators() {
        let csv = "Id,Date,Account,Division,Account Description,Debit,Credit,Source,Reference,Store,Memo\n\
                   GL-1,08/19/2019,1200,1,A/R Clearing,\"1,250.00\",,AR,INV-1,001,x\n\
                   GL-2,2019-08-19,4000,1,Rental Revenue,,\"1,250.00\",AR,INV-1,001,\n";
        let postings = parse_csv(csv).unwrap();
        assert_eq!(postings.len(), 2);
        assert_eq!(postings[0].date, day("2019-08-19"));
        assert_eq!(postings[0].debit, dec("1250.00"));
        assert_eq!(postings[1].credit, dec("1250.00"));
        assert_eq!(postings[0].account_description, "A/R Clearing");
    }

    fn a_csv_problem_names_the_line_and_field() {
        let csv = "id,date,account,debit,credit,source\nGL-1,2019-08-19,1200,5.00,,AR\nGL-2,2019-08-19,4000,,$5.00,AR\n";
        let err = parse_csv(csv).unwrap_err();
        assert_eq!(err.to_string(), "line 3 (GL-2): field `credit` `$5.00` has a currency sign; amounts are written without one");
        let err = parse_csv("id,date,account,debit,credit\n").unwrap_err();
        assert_eq!(err, FeedError::MissingColumn("source"));
        let err = parse_csv("id,date,account,debit,credit,source\nGL-1,2019-08-19,1,\"1,00\",,AR\n").unwrap_err();
        assert!(err.to_string().contains("misplaced thousands separators"), "{err}");
    }
}
