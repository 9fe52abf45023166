//! Every accepted form of `#[refresh_token]` and `#[freshtoken::client]` compiles and runs:
//! each file of `pass/` and `client/pass/` is a module here, and its `main` a test. They are
//! ordinary tests rather than trybuild cases, so they share the workspace's build; trybuild
//! then only checks the misuses, which needs no code generation for the dependencies.

// The cases are written as a user would write them, not under this workspace's lints.
#![allow(
    missing_docs,
    unreachable_pub,
    dead_code,
    clippy::all,
    clippy::pedantic
)]

macro_rules! pass_case {
    ($name:ident, $path:literal) => {
        mod $name {
            include!($path);

            #[test]
            fn compiles_and_runs() {
                main();
            }
        }
    };
}

pass_case!(refresh_token_async_trait, "../../pass/async-trait.rs");
pass_case!(refresh_token_blocking_fn, "../../pass/blocking-fn.rs");
pass_case!(
    refresh_token_blocking_impl_block,
    "../../pass/blocking-impl-block.rs"
);
pass_case!(
    refresh_token_body_control_flow,
    "../../pass/body-control-flow.rs"
);
pass_case!(refresh_token_free_fn, "../../pass/free-fn.rs");
pass_case!(refresh_token_generic_method, "../../pass/generic-method.rs");
pass_case!(refresh_token_impl_block, "../../pass/impl-block.rs");
pass_case!(refresh_token_impl_trait_arg, "../../pass/impl-trait-arg.rs");
pass_case!(
    refresh_token_method_arc_self,
    "../../pass/method-arc-self.rs"
);
pass_case!(
    refresh_token_method_mut_self,
    "../../pass/method-mut-self.rs"
);
pass_case!(
    refresh_token_method_ref_self,
    "../../pass/method-ref-self.rs"
);
pass_case!(
    refresh_token_method_self_by_value,
    "../../pass/method-self-by-value.rs"
);
pass_case!(refresh_token_result_alias, "../../pass/result-alias.rs");
pass_case!(refresh_token_retry_false, "../../pass/retry-false.rs");
pass_case!(refresh_token_token_types, "../../pass/token-types.rs");
pass_case!(refresh_token_trait_impl, "../../pass/trait-impl.rs");
pass_case!(client_cache_accessor, "../../client/pass/cache-accessor.rs");
pass_case!(client_options, "../../client/pass/options.rs");
pass_case!(client_param_kinds, "../../client/pass/param-kinds.rs");
pass_case!(
    client_qualified_result_alias,
    "../../client/pass/qualified-result-alias.rs"
);
pass_case!(
    client_raw_identifiers,
    "../../client/pass/raw-identifiers.rs"
);
pass_case!(client_return_kinds, "../../client/pass/return-kinds.rs");
pass_case!(client_send_futures, "../../client/pass/send-futures.rs");
pass_case!(client_user_fake, "../../client/pass/user-fake.rs");
pass_case!(client_without_auth, "../../client/pass/without-auth.rs");
