// Input: Tasks API requests of an authenticated user (`/tasks`, `/tasks/{id}`,
// `/tasks/{id}/complete`).
// Output: that user's tasks as JSON (a page of them with a `Link` to the next for
// `GET /tasks?limit=N`), or `not_found` for ids that are not theirs; 403
// `insufficient_scope` when a scoped token lacks `tasks:read` (listing) or `tasks:write`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::header::LINK;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
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

/// `GET /tasks`: every task; with `?limit=N`, the first `N` (after the task `?after=ID`) and,
/// when more follow, `Link: </tasks?limit=N&after=LAST>; rel="next"`.
pub(crate) async fn list(
    State(state): State<Shared>,
    bearer: Bearer,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    const EXPECTED: &str = "`limit` and `after` must be whole numbers, `limit` at least 1";
    bearer.require(&state, TASKS_READ)?;
    let tasks = state.tasks().list(&bearer.user);
    let Some(query) = query else {
        return Ok(Json(tasks).into_response());
    };
    let page: ListPage =
        serde_urlencoded::from_str(&query).map_err(|_| ApiError::InvalidRequest(EXPECTED))?;
    let Some(limit) = page.limit else {
        return Ok(Json(tasks).into_response());
    };
    if limit == 0 {
        return Err(ApiError::InvalidRequest(EXPECTED));
    }
    let mut rest = tasks
        .into_iter()
        .filter(|task| page.after.is_none_or(|after| task.id > after));
    let tasks: Vec<Task> = rest.by_ref().take(limit).collect();
    let next = match (tasks.last(), rest.next()) {
        (Some(last), Some(_)) => Some(format!(
            "</tasks?limit={limit}&after={}>; rel=\"next\"",
            last.id
        )),
        _ => None,
    };
    let mut response = Json(tasks).into_response();
    if let Some(next) = next.and_then(|next| HeaderValue::from_str(&next).ok()) {
        response.headers_mut().insert(LINK, next);
    }
    Ok(response)
}

/// The query of a page of `GET /tasks`.
#[derive(Deserialize)]
struct ListPage {
    limit: Option<usize>,
    after: Option<u64>,
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
