//! docs/servicenow/attachments.md: the Attachment API: uploads of raw bytes, downloads, listing,
//! the errors of its status table, the size limit, and the auth scope of securely scoped OAuth
//! apps.

use serde_json::{Value, json};

use super::*;

const UNSCOPED: &str = r#"{"error":{"message":"User Not Authorized","detail":"Access to unscoped api is not allowed"},"status":"failure"}"#;

/// SHA-256("abc"), the FIPS 180-2 test vector.
const ABC_SHA256: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

async fn incident(sim: &Simulator, t: &str) -> String {
    let answer = api(sim, t, "POST", "/api/now/table/incident", "{}").await;
    answer.json()["result"]["sys_id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `POST /api/now/attachment/file` with raw bytes; `content_type` None sends none.
async fn upload(
    sim: &Simulator,
    authorization: &str,
    query: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> RawAnswer {
    let mut raw = format!(
        "POST /api/now/attachment/file?{query} HTTP/1.1\r\nhost: x\r\nconnection: close\r\naccept: application/json\r\nauthorization: {authorization}\r\ncontent-length: {}\r\n",
        body.len()
    );
    if let Some(content_type) = content_type {
        raw.push_str(&format!("content-type: {content_type}\r\n"));
    }
    raw.push_str("\r\n");
    let mut raw = raw.into_bytes();
    raw.extend_from_slice(body);
    exchange_raw(sim, &raw).await
}

fn json_of(answer: &RawAnswer) -> Value {
    serde_json::from_slice(&answer.body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&answer.body)))
}

fn target(record: &str, file_name: &str) -> String {
    format!("table_name=incident&table_sys_id={record}&file_name={file_name}")
}

#[tokio::test]
async fn files_are_uploaded_downloaded_listed_and_deleted() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    let bearer = format!("Bearer {t}");
    let record = incident(&sim, &t).await;
    let id = upload_text(&sim, &bearer, &record).await;
    upload_and_download_binary(&sim, &bearer, &record).await;
    list_read_and_delete(&sim, &t, &record, &id).await;
}

/// A text file uploaded: the metadata the answer carries; its sys_id.
async fn upload_text(sim: &Simulator, bearer: &str, record: &str) -> String {
    let answer = upload(
        sim,
        bearer,
        &target(record, "abc.txt"),
        Some("text/plain"),
        b"abc",
    )
    .await;
    assert_eq!(
        answer.status,
        201,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let result = json_of(&answer)["result"].clone();
    let id = result["sys_id"].as_str().unwrap().to_string();
    let link = format!("{}/api/now/attachment/{id}/file", sim.base_url());
    assert_eq!(answer.header("location"), Some(link.as_str()));
    assert_eq!(answer.header("x-is-logged-in"), Some("true"));
    assert!(result.as_object().unwrap().values().all(Value::is_string));
    assert_eq!(result["hash"], ABC_SHA256);
    assert_eq!(result["size_bytes"], "3");
    assert_eq!(result["content_type"], "text/plain");
    assert_eq!(result["file_name"], "abc.txt");
    assert_eq!(result["table_name"], "incident");
    assert_eq!(result["table_sys_id"], json!(record));
    assert_eq!(result["download_link"], json!(link));
    assert_eq!(result["state"], "pending");
    assert_eq!(result["sys_created_by"], DEFAULT_USER_NAME);
    id
}

/// Binary content comes back byte for byte.
async fn upload_and_download_binary(sim: &Simulator, bearer: &str, record: &str) {
    let png = [0x89, b'P', b'N', b'G', 0, 0xff, 0xfe, b'\r', b'\n'];
    let answer = upload(
        sim,
        bearer,
        &target(record, "graph%20%C3%A9.png"),
        Some("image/png"),
        &png,
    )
    .await;
    assert_eq!(answer.status, 201);
    let png_id = json_of(&answer)["result"]["sys_id"]
        .as_str()
        .unwrap()
        .to_string();
    let raw = format!(
        "GET /api/now/attachment/{png_id}/file HTTP/1.1\r\nhost: x\r\nconnection: close\r\nauthorization: {bearer}\r\n\r\n"
    );
    let download = exchange_raw(sim, raw.as_bytes()).await;
    assert_eq!(download.status, 200);
    assert_eq!(download.body, png);
    assert_eq!(download.header("content-type"), Some("image/png"));
    assert_eq!(
        download.header("content-disposition"),
        Some("attachment;filename=\"graph _.png\";filename*=UTF-8''graph%20%C3%A9.png")
    );
    let metadata: Value =
        serde_json::from_str(download.header("x-attachment-metadata").unwrap()).unwrap();
    assert_eq!(metadata["state"], "available");
    assert_eq!(metadata["file_name"], "graph é.png");

    let stored = sim.attachments("incident", record);
    assert_eq!(stored.len(), 2);
    assert_eq!(
        (stored[0].content.as_slice(), stored[0].hash.as_str()),
        (&b"abc"[..], ABC_SHA256)
    );
    assert_eq!(sim.attachment(&png_id).unwrap().content, png);
}

/// The record's attachments listed (and through the Table API), one read, one deleted.
async fn list_read_and_delete(sim: &Simulator, t: &str, record: &str, id: &str) {
    let list = api(
        sim,
        t,
        "GET",
        &format!("/api/now/attachment?sysparm_query=table_sys_id%3D{record}%5EORDERBYfile_name"),
        "",
    )
    .await;
    assert_eq!(list.status, 200);
    let names: Vec<Value> = list.json()["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["file_name"].clone())
        .collect();
    assert_eq!(names, [json!("abc.txt"), json!("graph é.png")]);
    assert_eq!(
        list.header("x-total-count"),
        Some("2"),
        "counted as the Table API counts"
    );
    let metadata = api(sim, t, "GET", &format!("/api/now/attachment/{id}"), "").await;
    assert_eq!(metadata.json()["result"]["state"], "available");
    // The metadata is sys_attachment, readable through the Table API as well.
    let rows = api(
        sim,
        t,
        "GET",
        &format!("/api/now/table/sys_attachment?table_sys_id={record}"),
        "",
    )
    .await;
    assert_eq!(rows.header("x-total-count"), Some("2"));

    let deleted = api(sim, t, "DELETE", &format!("/api/now/attachment/{id}"), "").await;
    assert_eq!(deleted.status, 204);
    let gone = api(sim, t, "GET", &format!("/api/now/attachment/{id}/file"), "").await;
    assert_eq!(gone.status, 404);
    assert_eq!(sim.attachments("incident", record).len(), 1);
}

#[tokio::test]
async fn uploads_are_refused_as_the_status_table_says() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    let bearer = format!("Bearer {t}");
    let record = incident(&sim, &t).await;
    missing_parameters(&sim, &bearer, &record).await;
    no_record_to_attach_to(&sim, &bearer, &record).await;
    let query = target(&record, "a");
    the_size_limit(&sim, &bearer, &record, &query).await;
    unauthenticated_and_multipart(&sim, &t, &query).await;
}

/// The status and error of an answer.
fn status(answer: RawAnswer) -> (u16, Value) {
    (answer.status, json_of(&answer)["error"].clone())
}

/// A mandatory parameter or the Content-Type missing: 400.
async fn missing_parameters(sim: &Simulator, bearer: &str, record: &str) {
    for (query, missing) in [
        (format!("table_sys_id={record}&file_name=a"), "table_name"),
        (
            "table_name=incident&file_name=a".to_string(),
            "table_sys_id",
        ),
        (
            format!("table_name=incident&table_sys_id={record}&file_name="),
            "file_name",
        ),
    ] {
        let (code, error) = status(upload(sim, bearer, &query, Some("text/plain"), b"x").await);
        assert_eq!(code, 400, "{query}");
        assert!(
            error["detail"].as_str().unwrap().ends_with(missing),
            "{error}"
        );
    }
    let (code, _) = status(upload(sim, bearer, &target(record, "a"), None, b"x").await);
    assert_eq!(code, 400);
}

/// A record or table that does not exist, or one the caller may not write: 404; an insert
/// ACL on sys_attachment: 403.
async fn no_record_to_attach_to(sim: &Simulator, bearer: &str, record: &str) {
    let missing_record = target("0123456789abcdef0123456789abcdef", "a");
    let (code, error) =
        status(upload(sim, bearer, &missing_record, Some("text/plain"), b"x").await);
    assert_eq!(code, 404);
    assert_eq!(error["message"], "No Record found");
    let bad_table = format!("table_name=u_nope&table_sys_id={record}&file_name=a");
    assert_eq!(
        upload(sim, bearer, &bad_table, Some("text/plain"), b"x")
            .await
            .status,
        404
    );
    sim.update_faults(|f| f.acl_deny_update = vec!["incident".into()]);
    let query = target(record, "a");
    assert_eq!(
        upload(sim, bearer, &query, Some("text/plain"), b"x")
            .await
            .status,
        404
    );
    sim.set_faults(Faults {
        acl_deny_insert: vec!["sys_attachment".into()],
        ..Faults::default()
    });
    assert_eq!(
        upload(sim, bearer, &query, Some("text/plain"), b"x")
            .await
            .status,
        403
    );
    sim.set_faults(Faults::default());
}

/// com.glide.attachment.max_size, here 1 MB: exactly 1 MB passes, one byte more not.
async fn the_size_limit(sim: &Simulator, bearer: &str, record: &str, query: &str) {
    sim.update_properties(|p| p.attachment_max_size_mb = 1);
    let limit = vec![b'x'; 1024 * 1024];
    assert_eq!(
        upload(sim, bearer, query, Some("text/csv"), &limit)
            .await
            .status,
        201
    );
    let over = vec![b'x'; 1024 * 1024 + 1];
    let (code, error) = status(upload(sim, bearer, query, Some("text/csv"), &over).await);
    assert_eq!(code, 400);
    assert!(
        error["detail"].as_str().unwrap().contains("1048577 bytes"),
        "{error}"
    );
    assert_eq!(sim.attachments("incident", record).len(), 1);
}

/// A wrong token: the REST 401; the multipart upload: not implemented.
async fn unauthenticated_and_multipart(sim: &Simulator, t: &str, query: &str) {
    let answer = upload(sim, "Bearer nope", query, Some("text/plain"), b"x").await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.header("www-authenticate"),
        Some(r#"BASIC realm="Service-now""#)
    );
    let multipart = api(sim, t, "POST", "/api/now/attachment/upload", "").await;
    assert_eq!(multipart.status, 500);
    assert!(multipart.body.contains("does not implement"));
}

#[tokio::test]
async fn a_securely_scoped_app_needs_the_attachment_api_in_scope() {
    let sim = Simulator::start().await.unwrap();
    sim.update_faults(|f| f.attachment_api_unscoped = true);
    let t = token(&sim).await;
    let record = incident(&sim, &t).await;
    let query = target(&record, "a.csv");
    let answer = upload(&sim, &format!("Bearer {t}"), &query, Some("text/csv"), b"a").await;
    assert_eq!(
        (answer.status, answer.body.as_slice()),
        (403, UNSCOPED.as_bytes())
    );
    let listed = api(&sim, &t, "GET", "/api/now/attachment", "").await;
    assert_eq!((listed.status, listed.body.as_str()), (403, UNSCOPED));
    // The Table API is in scope; so is everything for `useraccount`, Basic and keys.
    assert_eq!(
        api(&sim, &t, "GET", "/api/now/table/incident", "")
            .await
            .status,
        200
    );
    let form = format!(
        "grant_type=password&client_id={}&client_secret={}&username={DEFAULT_USER_NAME}&password={DEFAULT_USER_PASSWORD}",
        sim.client_id(),
        sim.client_secret()
    );
    let password = send(&sim, "POST", "/oauth_token.do", &[FORM], &form).await;
    let password = password.json()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let answer = upload(
        &sim,
        &format!("Bearer {password}"),
        &query,
        Some("text/csv"),
        b"a",
    )
    .await;
    assert_eq!(answer.status, 201);
    let basic = basic(DEFAULT_USER_NAME, DEFAULT_USER_PASSWORD);
    assert_eq!(
        upload(&sim, &basic, &query, Some("text/csv"), b"a")
            .await
            .status,
        201
    );
    let key = sim.add_api_key(DEFAULT_USER_NAME);
    let raw = format!(
        "POST /api/now/attachment/file?{query} HTTP/1.1\r\nhost: x\r\nconnection: close\r\nx-sn-apikey: {key}\r\ncontent-type: text/csv\r\ncontent-length: 1\r\n\r\na"
    );
    assert_eq!(exchange_raw(&sim, raw.as_bytes()).await.status, 201);
    // An API key needs an access policy for each API it is used on.
    sim.update_faults(|f| f.api_key_policy_missing = vec![RestApi::Attachment]);
    assert_eq!(exchange_raw(&sim, raw.as_bytes()).await.status, 401);
    assert_eq!(sim.attachments("incident", &record).len(), 3);
}
