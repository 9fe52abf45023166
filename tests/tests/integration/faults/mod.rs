//! The fault suite against a scripted token endpoint on 127.0.0.1: cancelled callers, an
//! endpoint that fails or hangs, garbage answers; `faults_crash` kills processes.

pub mod cancellation;
pub mod endpoint;
pub mod garbage;
