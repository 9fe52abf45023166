//! `freshtoken::tower` over 127.0.0.1: a real tonic client and server, and a hyper-util client
//! over HTTP/1.1. One test binary for both (each binary links the whole stack again).

pub mod hyper_client;
pub mod tonic_channel;
