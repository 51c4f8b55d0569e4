//! Reading EC2's XML answers: a `DescribeInstancesResponse`, or an error document.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::HashMap;

use aws_smithy_xml::decode::{Document, try_data};

/// Reads `reservationSet/item/instancesSet/item/{instanceId, privateDnsName}` of a
/// `DescribeInstancesResponse`. Other elements (network interfaces carry their own
/// `privateDnsName`) are skipped by path, not by name.
pub fn parse_describe_instances(xml: &str) -> Result<HashMap<String, String>, String> {
    let mut doc = Document::new(xml);
    let mut root = doc.root_element().map_err(|e| e.to_string())?;
    if root.start_el().local() != "DescribeInstancesResponse" {
        return Err(format!(
            "expected DescribeInstancesResponse, found <{}>",
            root.start_el().local()
        ));
    }
    let mut out = HashMap::new();
    while let Some(mut reservations) = root.next_tag() {
        if reservations.start_el().local() != "reservationSet" {
            continue;
        }
        while let Some(mut reservation) = reservations.next_tag() {
            if reservation.start_el().local() != "item" {
                continue;
            }
            while let Some(mut instances) = reservation.next_tag() {
                if instances.start_el().local() != "instancesSet" {
                    continue;
                }
                while let Some(mut instance) = instances.next_tag() {
                    if instance.start_el().local() != "item" {
                        continue;
                    }
                    let (mut id, mut dns) = (None, None);
                    while let Some(mut field) = instance.next_tag() {
                        match field.start_el().local() {
                            "instanceId" => {
                                id = Some(try_data(&mut field).map_err(|e| e.to_string())?)
                            }
                            "privateDnsName" => {
                                dns = Some(try_data(&mut field).map_err(|e| e.to_string())?)
                            }
                            _ => {}
                        }
                    }
                    if let Some(id) = id {
                        out.insert(
                            id.trim().to_string(),
                            dns.map(|d| d.trim().to_string()).unwrap_or_default(),
                        );
                    }
                }
            }
        }
    }
    Ok(out)
}

/// `(Code, Message, RequestID)` of an EC2 error document
/// (`<Response><Errors><Error><Code>…`), if the text is one.
pub fn parse_error(xml: &str) -> Option<(String, String, String)> {
    let mut doc = Document::new(xml);
    let mut root = doc.root_element().ok()?;
    if root.start_el().local() != "Response" {
        return None;
    }
    let (mut code, mut message, mut request_id) = (None, String::new(), String::new());
    while let Some(mut tag) = root.next_tag() {
        match tag.start_el().local() {
            "Errors" => {
                while let Some(mut error) = tag.next_tag() {
                    if error.start_el().local() != "Error" || code.is_some() {
                        continue;
                    }
                    while let Some(mut field) = error.next_tag() {
                        match field.start_el().local() {
                            "Code" => {
                                code = try_data(&mut field).ok().map(|c| c.trim().to_string())
                            }
                            "Message" => {
                                message = try_data(&mut field)
                                    .map(|m| m.trim().to_string())
                                    .unwrap_or_default()
                            }
                            _ => {}
                        }
                    }
                }
            }
            "RequestID" | "RequestId" => {
                request_id = try_data(&mut tag)
                    .map(|r| r.trim().to_string())
                    .unwrap_or_default()
            }
            _ => {}
        }
    }
    code.map(|code| (code, message, request_id))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const RESPONSE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
  <reservationSet>
    <item>
      <reservationId>r-1234567890abcdef0</reservationId>
      <instancesSet>
        <item>
          <instanceId>i-0c6f21bf1f24f9708</instanceId>
          <privateDnsName>ip-172-31-27-14.us-west-2.compute.internal</privateDnsName>
          <networkInterfaceSet><item>
            <privateDnsName>ip-10-0-0-1.ec2.internal</privateDnsName>
          </item></networkInterfaceSet>
          <tagSet><item><key>instanceId</key><value>i-decoy</value></item></tagSet>
        </item>
        <item>
          <networkInterfaceSet><item><privateDnsName>eni-first</privateDnsName></item></networkInterfaceSet>
          <instanceId>i-1111111111111111a</instanceId>
          <privateDnsName>ip-10-1-2-3.ec2.internal</privateDnsName>
        </item>
      </instancesSet>
    </item>
    <item>
      <instancesSet>
        <item>
          <instanceId>i-22222222</instanceId>
          <privateDnsName/>
        </item>
      </instancesSet>
    </item>
  </reservationSet>
</DescribeInstancesResponse>"#;

    #[test]
    fn parses_instances_by_path_not_by_name() {
        let found = parse_describe_instances(RESPONSE).unwrap();
        assert_eq!(found.len(), 3);
        assert_eq!(
            found["i-0c6f21bf1f24f9708"],
            "ip-172-31-27-14.us-west-2.compute.internal"
        );
        assert_eq!(found["i-1111111111111111a"], "ip-10-1-2-3.ec2.internal");
        assert_eq!(found["i-22222222"], "");
    }

    #[test]
    fn parses_an_empty_reservation_set() {
        let xml = r#"<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>x</requestId><reservationSet/></DescribeInstancesResponse>"#;
        assert!(parse_describe_instances(xml).unwrap().is_empty());
    }

    #[test]
    fn rejects_documents_that_are_not_describe_instances() {
        assert!(parse_describe_instances("<html><body>proxy error</body></html>").is_err());
        assert!(parse_describe_instances("not xml at all").is_err());
        assert!(parse_describe_instances("").is_err());
        // A truncated answer must not panic; whatever was complete may be read.
        let _ = parse_describe_instances("<DescribeInstancesResponse><reservationSet><item>");
        let _ = parse_error("<Response><Errors><Error><Code>X");
    }

    #[test]
    fn parses_ec2_error_documents() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>The instance IDs 'i-0123456789abcdef0, i-0123456789abcdef1' do not exist</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>"#;
        let (code, message, request_id) = parse_error(xml).unwrap();
        assert_eq!(code, "InvalidInstanceID.NotFound");
        assert_eq!(
            message,
            "The instance IDs 'i-0123456789abcdef0, i-0123456789abcdef1' do not exist"
        );
        assert_eq!(request_id, "ea966190-f9aa-478e-9ede-example");
        assert!(parse_error("<html>502 Bad Gateway</html>").is_none());
        assert!(parse_error("garbage").is_none());
        assert!(parse_error(RESPONSE).is_none());
    }
}
