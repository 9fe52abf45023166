//! `freshtoken::tower` over 127.0.0.1: a real tonic client and server, and a hyper-util client
//! over HTTP/1.1.

pub mod hyper_client;
pub mod tonic_channel;
