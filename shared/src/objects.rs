//! JSON objects only. serde_json lets a derived struct be read from an array of its fields in
//! order (`[null, null]` as `{"division": null, "store": null}`), which no client means and the
//! OpenAPI document does not allow. A request type opts out with `#[serde(remote = "Self")]`
//! (which turns its derived impls into inherent functions) and [`objects_only!`], which puts the
//! trait impls back, reading through [`ObjectOnly`]: a JSON object or a clear refusal.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserializer;
use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, Visitor};

/// A type read from the fields of a JSON object (its derived reading, made inherent by
/// `#[serde(remote = "Self")]`).
pub trait FromFields<'de>: Sized {
    /// Reads the type from a deserializer that holds an object's fields.
    fn from_fields<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

/// The visitor that accepts an object and nothing else.
pub struct ObjectOnly<T>(PhantomData<T>);

impl<T> ObjectOnly<T> {
    /// Reads a `T` from `deserializer`, which must hold a JSON object.
    pub fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error>
    where
        T: FromFields<'de>,
    {
        deserializer.deserialize_map(ObjectOnly(PhantomData))
    }
}

impl<'de, T: FromFields<'de>> Visitor<'de> for ObjectOnly<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::from_fields(MapAccessDeserializer::new(map))
    }
}

/// A `Deserialize` (and, with `serialize:`, `Serialize`) impl for types marked
/// `#[serde(remote = "Self")]`, reading only JSON objects.
macro_rules! objects_only {
    (deserialize: $($t:ty),+ $(,)?) => {$(
        impl<'de> $crate::objects::FromFields<'de> for $t {
            fn from_fields<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <$t>::deserialize(deserializer)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::objects::ObjectOnly::<$t>::read(deserializer)
            }
        }
    )+};
    (serialize and deserialize: $($t:ty),+ $(,)?) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                <$t>::serialize(self, serializer)
            }
        }
        objects_only!(deserialize: $t);
    )+};
}
pub(crate) use objects_only;

#[cfg(test)]
mod tests {
    use crate::api::{DraftPiece, MappingChange, VoidRequest};
    use crate::mapping::{MappingSettings, TrackingSettings};

    #[test]
    fn request_types_read_objects_and_refuse_arrays_of_their_fields() {
        let tracking: TrackingSettings =
            serde_json::from_str(r#"{"division": null, "store": null}"#).unwrap();
        assert_eq!(tracking.division, None);
        for (what, array) in [
            (
                "tracking",
                serde_json::from_str::<TrackingSettings>("[null, null]").err(),
            ),
            (
                "void",
                serde_json::from_str::<VoidRequest>(r#"["typo"]"#).err(),
            ),
            (
                "settings in a change",
                serde_json::from_str::<MappingChange>(r#"{"version": 0, "settings": []}"#).err(),
            ),
            (
                "a posting",
                serde_json::from_str::<DraftPiece>(r#"{"postings": [["GL-1"]]}"#).err(),
            ),
        ] {
            let error = array
                .unwrap_or_else(|| panic!("{what}: an array was read"))
                .to_string();
            assert!(error.contains("expected a JSON object"), "{what}: {error}");
        }
        let settings: MappingSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(settings, MappingSettings::default());
        let round_trip = serde_json::to_string(&settings).unwrap();
        assert_eq!(
            serde_json::from_str::<MappingSettings>(&round_trip).unwrap(),
            settings
        );
    }
}
