// Input: Tasks API requests of an authenticated user (`/tasks`, `/tasks/{id}`,
// `/tasks/{id}/complete`).
// Output: that user's tasks as JSON, or `not_found` for ids that are not theirs; 403
// `insufficient_scope` when a scoped token lacks `tasks:read` (listing) or `tasks:write`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::bearer::Bearer;
use super::body::json_body;
use super::errors::ApiError;
use super::protected_resource::{TASKS_READ, TASKS_WRITE};
use super::state::Shared;
use super::tasks::Task;

#[derive(Deserialize)]
struct NewTask {
    title: String,
}

/// `GET /tasks`.
pub(crate) async fn list(
    State(state): State<Shared>,
    bearer: Bearer,
) -> Result<Json<Vec<Task>>, ApiError> {
    bearer.require(&state, TASKS_READ)?;
    Ok(Json(state.tasks().list(&bearer.user)))
}

/// `POST /tasks {"title"}`: 201 and the new task.
pub(crate) async fn create(
    State(state): State<Shared>,
    bearer: Bearer,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Task>), ApiError> {
    const EXPECTED: &str = "the body must be a JSON object with a non-empty string field `title`";
    bearer.require(&state, TASKS_WRITE)?;
    let NewTask { title } = json_body(body, EXPECTED)?;
    if title.trim().is_empty() {
        return Err(ApiError::InvalidRequest(EXPECTED));
    }
    let task = state.tasks().create(&bearer.user, title);
    Ok((StatusCode::CREATED, Json(task)))
}

/// `POST /tasks/{id}/complete`: the task, now done.
pub(crate) async fn complete(
    State(state): State<Shared>,
    bearer: Bearer,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Task>, ApiError> {
    bearer.require(&state, TASKS_WRITE)?;
    let id = task_id(id)?;
    let task = state.tasks().complete(&bearer.user, id);
    task.map(Json).ok_or(ApiError::NotFound)
}

/// `DELETE /tasks/{id}`: 204.
pub(crate) async fn delete(
    State(state): State<Shared>,
    bearer: Bearer,
    id: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    bearer.require(&state, TASKS_WRITE)?;
    let id = task_id(id)?;
    let deleted = state.tasks().delete(&bearer.user, id);
    deleted
        .map(|_| StatusCode::NO_CONTENT)
        .ok_or(ApiError::NotFound)
}

/// A path id that is not a number names no task.
fn task_id(id: Result<Path<String>, PathRejection>) -> Result<u64, ApiError> {
    id.ok()
        .and_then(|Path(id)| id.parse().ok())
        .ok_or(ApiError::NotFound)
}
