//! Assignment groups through the provider: resolved once, forgotten when they expire or
//! ServiceNow empties them.

use crate::primitives::prelude::*;

use crate::features::provider::Provider;
use crate::features::tests::fixture::*;
use crate::primitives::clock::ManualClock;
use crate::primitives::ids::AssignmentGroup;
use crate::servicenow::rows::sys_id;
use crate::servicenow::ticket::CreateOutcome;
use crate::test_support::transport::*;

/// Creates a ticket for the group "Cloud Ops", answering the lookup when one is made.
fn create_for_cloud_ops(
    p: &mut Provider<&ScriptedTransport, &ManualClock>,
    transport: &ScriptedTransport,
    lookup: bool,
    stored_group: &str,
) -> CreateOutcome {
    if lookup {
        let found = format!(r#"{{"result":[{{"sys_id":"{GROUP}","name":"Cloud Ops"}}]}}"#);
        transport.push_json(200, &found);
    }
    transport.push_json(
        201,
        &format!(
            r#"{{"result":{{"sys_id":"0123456789abcdef0123456789abcdef","number":"INC0010001","assignment_group":"{stored_group}"}}}}"#
        ),
    );
    let mut t = ticket();
    t.assignment_group = AssignmentGroup::parse("Cloud Ops");
    p.create_ticket(t).unwrap()
}

#[test]
fn group_lookups_expire_and_a_new_configure_drops_them() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    transport.push_json(200, TOKEN_OK);
    create_for_cloud_ops(&mut p, &transport, true, GROUP);
    create_for_cloud_ops(&mut p, &transport, false, GROUP);
    assert_eq!(count(&transport, "sys_user_group"), 1);

    // Still within the token's lifespan, past the cache's.
    clock.advance(crate::primitives::cache::INSTANCE_FACTS_TTL);
    create_for_cloud_ops(&mut p, &transport, true, GROUP);
    assert_eq!(count(&transport, "sys_user_group"), 2);

    // The admin saves the same settings again (say, after fixing the group on the instance).
    p.configure(raw()).unwrap();
    create_for_cloud_ops(&mut p, &transport, true, GROUP);
    assert_eq!(count(&transport, "sys_user_group"), 3);
    assert_eq!(transport.remaining(), 0);
}

#[test]
fn a_group_reference_emptied_by_servicenow_is_forgotten_and_reported() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    transport.push_json(200, TOKEN_OK);
    // The group was deleted after it was looked up: ServiceNow empties the reference.
    let outcome = create_for_cloud_ops(&mut p, &transport, true, "");
    let CreateOutcome::Created(written) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        written
            .not_applied
            .iter()
            .any(|n| n.field == "assignment_group"),
        "{:?}",
        written.not_applied
    );
    // So the next ticket for that group asks the instance again.
    create_for_cloud_ops(&mut p, &transport, true, GROUP);
    assert_eq!(count(&transport, "sys_user_group"), 2);
}
