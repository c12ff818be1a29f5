//! JSON read strictly: an object that names a key twice is refused.
//!
//! `serde_json` keeps the last of two equal keys, so `{"payload":A,…,
//! "payload":B}` would be read as B by relgate and as A by another reader.
//! Every document relgate trusts (envelopes, statements, ledger lines,
//! gate.json) goes through [`check`] first.

use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};

/// `Err` naming the first key an object repeats, or the JSON error.
pub fn check(bytes: &[u8]) -> Result<(), String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    Unique.deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())
}

/// Parses `bytes` as `T` after [`check`].
pub fn from_slice<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    check(bytes)?;
    serde_json::from_slice(bytes).map_err(|e| e.to_string())
}

struct Unique;

impl<'de> DeserializeSeed<'de> for Unique {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(Unique)
    }
}

impl<'de> Visitor<'de> for Unique {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Unique)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(A::Error::custom(format!("duplicate key `{key}`")));
            }
            map.next_value_seed(Unique)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_are_refused_at_any_depth() {
        assert!(check(br#"{"a":1,"b":[{"c":1}]}"#).is_ok());
        assert!(check(br#"{"a":1,"a":2}"#)
            .unwrap_err()
            .contains("duplicate key `a`"));
        assert!(check(br#"[{"x":{"y":1,"y":1}}]"#).is_err());
        // Escapes are decoded before comparing.
        assert!(check(br#"{"a":1,"\u0061":2}"#).is_err());
        assert!(check(br#"{"a":1} trailing"#).is_err());
    }
}
