//! Pairing Xero's answers with journals, over any text SRM may send (native only: proptest):
//! whatever a division, store or source says — `key `, hex runs, another journal's key — and
//! whatever valid template the admin wrote and whatever order Xero answers in, every element
//! pairs with its own journal, and a journal's own key is the last marker of its narration.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use srm_xero_shared::JournalKey;
use srm_xero_shared::mapping::DEFAULT_NARRATION;
use srm_xero_shared::plan::narration::{Fields, Pairing, Sent, check_template, fill, pair};

fn key(n: u32) -> JournalKey {
    JournalKey::from_posting_ids([format!("GL-{n}").as_str()])
}

/// Text from SRM, chosen to confuse a parser: any Unicode, `key ` in words, hex runs and other
/// journals' markers.
fn arb_free_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "\\PC{0,12}",
        Just("Turkey Creek".to_owned()),
        Just("key accounts".to_owned()),
        Just("Whiskey Bay".to_owned()),
        Just("key ".to_owned()),
        "[0-9a-f]{1,40}",
        (0_u32..64).prop_map(|n| key(n).marker()),
        (0_u32..64).prop_map(|n| format!("{{key}} {}", key(n))),
        Just("{export}{date}{".to_owned()),
    ];
    prop::collection::vec(piece, 0..5).prop_map(|parts| parts.concat())
}

/// Literal template text: anything but a `{` (so it cannot spell a placeholder).
fn arb_literal() -> impl Strategy<Value = String> {
    "\\PC{0,10}".prop_map(|s| s.replace('{', "("))
}

/// Templates that pass the rule by construction: placeholders and literals in any order, then
/// `key {key}`, then literal text without `key `.
fn arb_valid_template() -> impl Strategy<Value = String> {
    let before = prop::collection::vec(
        (
            arb_literal(),
            prop::sample::select(vec!["{date}", "{group}", "{export}", ""]),
        ),
        0..4,
    );
    (before, arb_literal(), arb_literal()).prop_map(|(before, gap, after)| {
        let mut template: String = before.into_iter().map(|(l, p)| l + p).collect();
        template.push_str(&gap);
        template.push_str("key {key}");
        template.push_str(&after.replace("key ", "kee "));
        template
    })
}

/// Templates of any shape, made of the tokens that matter to the rule.
fn arb_any_template() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("key ".to_owned()),
        Just("{key}".to_owned()),
        Just("{group}".to_owned()),
        Just("{date}".to_owned()),
        Just("{export}".to_owned()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("k".to_owned()),
        Just("ey".to_owned()),
        Just(" · ".to_owned()),
        "\\PC{0,6}",
    ];
    prop::collection::vec(token, 0..12).prop_map(|t| t.concat())
}

fn narration(template: &str, group: &str, key: &JournalKey) -> String {
    fill(
        template,
        &Fields {
            date: "2019-08-19",
            group,
            export: "12",
            key: key.as_str(),
        },
    )
}

/// How Xero echoes a narration in its answer.
#[derive(Debug, Clone)]
enum Echo {
    Exact,
    Prefixed(String),
    Suffixed(String),
}

fn arb_echo() -> impl Strategy<Value = Echo> {
    prop_oneof![
        Just(Echo::Exact),
        "\\PC{1,12}".prop_map(Echo::Prefixed),
        "\\PC{1,12}".prop_map(Echo::Suffixed),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn every_answer_element_pairs_with_its_own_journal(
        template in prop_oneof![Just(DEFAULT_NARRATION.to_owned()), arb_valid_template()],
        groups in prop::collection::vec(arb_free_text(), 1..50),
        order in any::<u64>(),
        echo in arb_echo(),
    ) {
        prop_assert_eq!(check_template(&template), Ok(()));
        let keys: Vec<JournalKey> = (0..u32::try_from(groups.len()).unwrap()).map(key).collect();
        let narrations: Vec<String> =
            keys.iter().zip(&groups).map(|(k, g)| narration(&template, g, k)).collect();
        let sent: Vec<Sent<'_>> = keys
            .iter()
            .zip(&narrations)
            .map(|(key, narration)| Sent { key, narration })
            .collect();
        // Xero answers in any order.
        let mut answer: Vec<usize> = (0..sent.len()).collect();
        let mut seed = order;
        for i in (1..answer.len()).rev() {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            answer.swap(i, usize::try_from(seed >> 33).unwrap() % (i + 1));
        }
        for own in answer {
            let echoed = match &echo {
                Echo::Exact => narrations[own].clone(),
                Echo::Prefixed(extra) => format!("{extra}{}", narrations[own]),
                Echo::Suffixed(extra) => format!("{}{extra}", narrations[own]),
            };
            match pair(&echoed, &sent) {
                Pairing::One(i) => prop_assert_eq!(i, own, "paired with the wrong journal"),
                // Only an altered echo whose free text holds another sent journal's marker.
                Pairing::Ambiguous(all) => {
                    prop_assert!(!matches!(echo, Echo::Exact));
                    prop_assert!(all.contains(&own));
                }
                Pairing::NoMatch => prop_assert!(false, "its own journal was not found"),
            }
            // Found in Xero later, the journal's own key is the last marker of its narration.
            prop_assert_eq!(JournalKey::last_in(&echoed), Some(keys[own].clone()));
        }
    }

    #[test]
    fn any_template_the_rule_accepts_keeps_the_key_last(
        template in arb_any_template(),
        group in arb_free_text(),
        n in 0_u32..1000,
    ) {
        if check_template(&template).is_ok() {
            let own = key(n);
            prop_assert_eq!(JournalKey::last_in(&narration(&template, &group, &own)), Some(own));
        } else {
            // Refused templates say why in words.
            let why = check_template(&template).unwrap_err().to_string();
            prop_assert!(why.contains("narration template"));
        }
    }
}
