//! The bench's yardstick: the same POST the component sends (its method, path, query,
//! headers and body), from a plain hyper keep-alive client in this process, and the same
//! work with its answer ([`answer`]): the created ticket read, its record made, the columns
//! sent compared with those stored.

mod answer;

use anyhow::{Result, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use servicenow_simulator::{RecordedRequest, Simulator};

pub(super) use answer::Created;
use answer::Sent;

pub(super) struct NativeClient {
    client: Client<HttpConnector, Full<Bytes>>,
    request: http::request::Builder,
    body: Bytes,
    sent: Sent,
}

impl NativeClient {
    pub(super) fn new(simulator: &Simulator, template: &RecordedRequest) -> Result<Self> {
        let client = Client::builder(TokioExecutor::new()).build_http();
        let mut uri = format!("{}{}", simulator.base_url(), template.path);
        if let Some(query) = &template.query {
            uri.push('?');
            uri.push_str(query);
        }
        let mut request = http::Request::builder()
            .method(template.method.as_str())
            .uri(uri);
        for (name, value) in &template.headers {
            if !matches!(
                name.as_str(),
                "host" | "content-length" | "transfer-encoding" | "connection"
            ) {
                request = request.header(name.as_str(), value.as_str());
            }
        }
        Ok(Self {
            client,
            request,
            body: Bytes::from(template.body.clone()),
            sent: Sent::new(
                &simulator.base_url(),
                &template.path,
                template.body.as_bytes(),
            )?,
        })
    }

    /// Sends the POST and reads its answer as the component reads a created ticket's.
    pub(super) async fn send(&self) -> Result<Created> {
        let mut request = http::Request::builder()
            .method(self.request.method_ref().cloned().unwrap_or_default())
            .uri(self.request.uri_ref().cloned().unwrap_or_default());
        if let Some(headers) = self.request.headers_ref() {
            for (name, value) in headers {
                request = request.header(name, value);
            }
        }
        let request = request.body(Full::new(self.body.clone()))?;
        let response = self.client.request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        if status.as_u16() != 201 {
            bail!("native POST answered {status}");
        }
        let created = self.sent.created(&body)?;
        // Checked, so that none of the work is optimised away.
        if !created.link.ends_with(&created.sys_id) || created.number.is_empty() {
            bail!("native POST's ticket was not read whole: {created:?}");
        }
        Ok(created)
    }
}
