// Input: the Tasks API's JSON.
// Output: the SDK's task type.

use serde::{Deserialize, Serialize};

/// One to-do item of the signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// The server's id for it.
    pub id: u64,
    /// What to do.
    pub title: String,
    /// Whether it is done.
    pub done: bool,
}
