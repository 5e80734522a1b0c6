//! Link state through netlink: every change of an interface's up/running state is sent
//! as a `LinkEvent`; the engine turns it into FAULT for the instance's own interface and
//! into tracker results for `track_interface`, and an interface that comes back with a
//! new index (deleted and created again) gets its sockets opened again.

use futures::StreamExt;
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use netlink_packet_route::RouteNetlinkMessage;
use rtnetlink::packet_core::NetlinkPayload;
use rtnetlink::sys::{AsyncSocket, SocketAddr};
use std::time::Duration;
use tokio::sync::mpsc;

/// One change of an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkEvent {
    pub name: String,
    pub index: u32,
    /// Up and running.
    pub up: bool,
    /// The interface was deleted.
    pub gone: bool,
}

fn event(link: &LinkMessage, gone: bool) -> Option<LinkEvent> {
    let name = link.attributes.iter().find_map(|a| match a {
        LinkAttribute::IfName(n) => Some(n.clone()),
        _ => None,
    })?;
    let f = link.header.flags;
    Some(LinkEvent {
        name,
        index: link.header.index,
        up: !gone && f.contains(LinkFlags::Up) && f.contains(LinkFlags::Running),
        gone,
    })
}

/// Follow link changes for good: a netlink socket that fails or ends is opened again
/// (the failure logged), so the daemon never stops hearing about its interfaces.
pub fn spawn(tx: mpsc::Sender<LinkEvent>) -> std::io::Result<()> {
    // The first connection is made here, so that a daemon that cannot follow links at
    // all does not start.
    let first = connect()?;
    tokio::spawn(async move {
        let mut conn = Some(first);
        loop {
            let messages = match conn.take() {
                Some(m) => m,
                None => match connect() {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::error!("netlink link monitor: {e}; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                },
            };
            if !follow(messages, &tx).await {
                return;
            }
            tracing::warn!("netlink link monitor ended; opening it again");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    Ok(())
}

type Messages = futures::channel::mpsc::UnboundedReceiver<(
    rtnetlink::packet_core::NetlinkMessage<RouteNetlinkMessage>,
    SocketAddr,
)>;

fn connect() -> std::io::Result<Messages> {
    let (mut conn, _handle, messages) = rtnetlink::new_connection()?;
    conn.socket_mut()
        .socket_mut()
        .bind(&SocketAddr::new(0, rtnetlink::constants::RTMGRP_LINK))?;
    tokio::spawn(conn);
    Ok(messages)
}

/// Forward events until the socket ends; false once nobody listens.
async fn follow(mut messages: Messages, tx: &mpsc::Sender<LinkEvent>) -> bool {
    while let Some((msg, _)) = messages.next().await {
        let e = match msg.payload {
            NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(l)) => event(&l, false),
            NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelLink(l)) => event(&l, true),
            _ => None,
        };
        if let Some(e) = e {
            if tx.send(e).await.is_err() {
                return false;
            }
        }
    }
    true
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
