// Input: task operations of one authenticated user.
// Output: that user's tasks; one user never sees another's.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

/// A task as the API returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Task {
    pub(crate) id: u64,
    pub(crate) title: String,
    pub(crate) done: bool,
}

/// Every user's tasks. Ids are unique across users.
#[derive(Debug, Default)]
pub(crate) struct Tasks {
    last_id: u64,
    by_user: HashMap<String, BTreeMap<u64, Task>>,
}

impl Tasks {
    /// `user`'s tasks, oldest first.
    pub(crate) fn list(&self, user: &str) -> Vec<Task> {
        self.by_user
            .get(user)
            .map(|tasks| tasks.values().cloned().collect())
            .unwrap_or_default()
    }

    pub(crate) fn create(&mut self, user: &str, title: String) -> Task {
        self.last_id += 1;
        let task = Task {
            id: self.last_id,
            title,
            done: false,
        };
        self.by_user
            .entry(user.to_owned())
            .or_default()
            .insert(task.id, task.clone());
        task
    }

    /// Marks `user`'s task `id` done; `None` if `user` has no such task.
    pub(crate) fn complete(&mut self, user: &str, id: u64) -> Option<Task> {
        let task = self.by_user.get_mut(user)?.get_mut(&id)?;
        task.done = true;
        Some(task.clone())
    }

    /// Removes `user`'s task `id`; `None` if `user` has no such task.
    pub(crate) fn delete(&mut self, user: &str, id: u64) -> Option<Task> {
        self.by_user.get_mut(user)?.remove(&id)
    }
}
