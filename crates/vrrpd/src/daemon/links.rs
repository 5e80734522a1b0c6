//! Link state through netlink: every change of an interface's up/running state is sent
//! as `(name, up)`; the engine turns it into FAULT for the instance's own interface and
//! into tracker results for `track_interface`.

use futures::StreamExt;
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use netlink_packet_route::RouteNetlinkMessage;
use rtnetlink::packet_core::NetlinkPayload;
use rtnetlink::sys::{AsyncSocket, SocketAddr};
use tokio::sync::mpsc;

fn name_and_state(link: &LinkMessage) -> Option<(String, bool)> {
    let name = link.attributes.iter().find_map(|a| match a {
        LinkAttribute::IfName(n) => Some(n.clone()),
        _ => None,
    })?;
    let f = link.header.flags;
    Some((
        name,
        f.contains(LinkFlags::Up) && f.contains(LinkFlags::Running),
    ))
}

pub fn spawn(tx: mpsc::Sender<(String, bool)>) -> std::io::Result<()> {
    let (mut conn, _handle, mut messages) = rtnetlink::new_connection()?;
    conn.socket_mut()
        .socket_mut()
        .bind(&SocketAddr::new(0, rtnetlink::constants::RTMGRP_LINK))?;
    tokio::spawn(conn);
    tokio::spawn(async move {
        while let Some((msg, _)) = messages.next().await {
            let event = match msg.payload {
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(l)) => name_and_state(&l),
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelLink(l)) => {
                    name_and_state(&l).map(|(n, _)| (n, false))
                }
                _ => None,
            };
            if let Some(e) = event {
                if tx.send(e).await.is_err() {
                    return;
                }
            }
        }
    });
    Ok(())
}

/// The link's state now (for start-up), from the interface flags.
pub fn is_up(name: &str) -> bool {
    use nix::net::if_::InterfaceFlags;
    nix::ifaddrs::getifaddrs()
        .map(|it| {
            it.filter(|i| i.interface_name == name).any(|i| {
                i.flags.contains(InterfaceFlags::IFF_UP)
                    && i.flags.contains(InterfaceFlags::IFF_RUNNING)
            })
        })
        .unwrap_or(false)
}
