// Input: MCP tool calls (already authorized by `guard`).
// Output: the notes tools: list the notes, write one.

use std::sync::{Arc, Mutex, PoisonError};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ErrorData,
    Implementation, JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities,
    ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler};
use serde_json::json;

/// The tool that lists the notes; any valid token may call it.
pub const LIST_NOTES_TOOL: &str = "list_notes";
/// The tool that writes a note; it needs [`WRITE_SCOPE`](super::WRITE_SCOPE).
pub const WRITE_NOTE_TOOL: &str = "write_note";

/// The notes the server keeps, shared by every MCP session.
#[derive(Clone, Default)]
pub(crate) struct Notes(Arc<Mutex<Vec<String>>>);

impl Notes {
    fn all(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn add(&self, text: String) -> usize {
        let mut notes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        notes.push(text);
        notes.len()
    }
}

/// One MCP session's handler over the shared notes.
#[derive(Clone)]
pub(crate) struct NotesServer {
    notes: Notes,
}

impl NotesServer {
    pub(crate) fn new(notes: Notes) -> Self {
        Self { notes }
    }
}

fn schema(value: serde_json::Value) -> JsonObject {
    match value {
        serde_json::Value::Object(object) => object,
        _ => JsonObject::new(),
    }
}

fn tools() -> Vec<Tool> {
    vec![
        Tool::new(
            LIST_NOTES_TOOL,
            "Lists the notes.",
            schema(json!({ "type": "object", "properties": {} })),
        ),
        Tool::new(
            WRITE_NOTE_TOOL,
            "Writes a note (needs the notes:write scope).",
            schema(json!({
                "type": "object",
                "properties": { "text": { "type": "string" } },
                "required": ["text"],
            })),
        ),
    ]
}

impl ServerHandler for NotesServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build()).with_server_info(
            Implementation::new("freshtoken-notes", env!("CARGO_PKG_VERSION")),
        )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        self.call(&request).map(CallToolResponse::from)
    }
}

impl NotesServer {
    fn call(&self, request: &CallToolRequestParams) -> Result<CallToolResult, ErrorData> {
        match request.name.as_ref() {
            LIST_NOTES_TOOL => {
                let notes = self.notes.all();
                Ok(CallToolResult::success(vec![ContentBlock::text(
                    notes.join("\n"),
                )]))
            }
            WRITE_NOTE_TOOL => {
                let text = request
                    .arguments
                    .as_ref()
                    .and_then(|arguments| arguments.get("text"))
                    .and_then(serde_json::Value::as_str)
                    .ok_or_else(|| {
                        ErrorData::invalid_params("write_note takes {\"text\": string}", None)
                    })?;
                let count = self.notes.add(text.to_owned());
                Ok(CallToolResult::success(vec![ContentBlock::text(format!(
                    "note {count} written"
                ))]))
            }
            other => Err(ErrorData::invalid_params(
                format!("no tool named {other:?}: the tools are list_notes and write_note"),
                None,
            )),
        }
    }
}
