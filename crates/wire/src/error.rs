//! The error body every JSON API of the stack answers with.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `{"errors": {"<key>": ["<message>", ...]}}`, the RealWorld error shape, used by every tier.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Messages grouped by the field (or subject) they are about.
    pub errors: BTreeMap<String, Vec<String>>,
}

impl ErrorBody {
    /// A body with one message about one key.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = BTreeMap::new();
        errors.insert(key.into(), vec![message.into()]);
        Self { errors }
    }

    /// Adds a message about `key`, keeping the ones already there.
    pub fn push(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.errors
            .entry(key.into())
            .or_default()
            .push(message.into());
    }

    /// True when no message was added.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// One line for logs: `key: message; key: message`.
    pub fn summary(&self) -> String {
        self.errors
            .iter()
            .flat_map(|(k, msgs)| msgs.iter().map(move |m| format!("{k}: {m}")))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_serializes_to_the_realworld_shape() {
        let mut body = ErrorBody::new("email", "has already been taken");
        body.push("email", "is invalid");
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"errors":{"email":["has already been taken","is invalid"]}}"#
        );
        assert_eq!(
            body.summary(),
            "email: has already been taken; email: is invalid"
        );
    }
}
