//! The bench's yardstick: the same POST the component sends (its method, path, query,
//! headers and body), from a plain hyper keep-alive client in this process.

use anyhow::{Result, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use servicenow_simulator::{RecordedRequest, Simulator};

pub(super) struct NativeClient {
    client: Client<HttpConnector, Full<Bytes>>,
    request: http::request::Builder,
    body: Bytes,
}

impl NativeClient {
    pub(super) fn new(simulator: &Simulator, template: &RecordedRequest) -> Self {
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
        Self {
            client,
            request,
            body: Bytes::from(template.body.clone()),
        }
    }

    pub(super) async fn send(&self) -> Result<()> {
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
        let _body = response.into_body().collect().await?.to_bytes();
        if status.as_u16() != 201 {
            bail!("native POST answered {status}");
        }
        Ok(())
    }
}
