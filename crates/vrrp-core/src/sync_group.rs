//! vrrp_sync_group: instances that change state together. One member in fault puts all in
//! fault; one member becoming master takes the others with it; one member stepping down
//! to backup takes the others down too.

use crate::instance::{Action, Input, Instance, Instant, Reason, State};
use std::collections::VecDeque;

pub struct SyncGroup {
    pub name: String,
    members: Vec<Instance>,
    actions: VecDeque<(usize, Action)>,
}

impl SyncGroup {
    pub fn new(name: &str, members: Vec<Instance>) -> Self {
        SyncGroup {
            name: name.to_string(),
            members,
            actions: VecDeque::new(),
        }
    }

    pub fn members(&self) -> &[Instance] {
        &self.members
    }

    pub fn handle(&mut self, now: Instant, member: usize, input: Input<'_>) {
        if let Some(m) = self.members.get_mut(member) {
            m.handle(now, input);
        }
        self.settle(now);
    }

    /// Inputs that concern every member at once (startup, shutdown, a link, a script).
    pub fn handle_all(&mut self, now: Instant, input: Input<'_>) {
        for m in &mut self.members {
            m.handle(now, input.clone());
        }
        self.settle(now);
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        for m in &mut self.members {
            if m.poll_timeout().is_some_and(|t| t <= now) {
                m.handle_timeout(now);
            }
        }
        self.settle(now);
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.members.iter().filter_map(|m| m.poll_timeout()).min()
    }

    pub fn poll_action(&mut self) -> Option<(usize, Action)> {
        self.actions.pop_front()
    }

    fn settle(&mut self, now: Instant) {
        let mut refs: Vec<&mut Instance> = self.members.iter_mut().collect();
        self.actions.extend(settle(now, &mut refs));
    }
}

/// Drain the members' actions, propagating state changes until nothing moves; returns
/// the actions, each with the position of its member. For drivers that keep the members
/// themselves (the daemon does): call it after every input to any member.
pub fn settle(now: Instant, members: &mut [&mut Instance]) -> Vec<(usize, Action)> {
    let mut actions = Vec::new();
    for _ in 0..4 * members.len().max(1) {
        let mut changes: Vec<(usize, State, State)> = Vec::new();
        for (i, m) in members.iter_mut().enumerate() {
            while let Some(a) = m.poll_action() {
                if let Action::StateChanged { from, to, .. } = &a {
                    changes.push((i, *from, *to));
                }
                actions.push((i, a));
            }
        }
        if changes.is_empty() {
            break;
        }
        for (src, from, to) in changes {
            for (i, m) in members.iter_mut().enumerate() {
                if i == src {
                    continue;
                }
                match (from, to, m.state()) {
                    (_, State::Fault, s) if s != State::Fault && s != State::Init => {
                        m.force_fault(Reason::SyncGroup)
                    }
                    (_, State::Master, State::Backup) => m.become_master(now, Reason::SyncGroup),
                    (State::Master, State::Backup, State::Master) => {
                        m.become_backup(now, Reason::SyncGroup)
                    }
                    _ => {}
                }
            }
        }
        // Members held in fault only by the group leave it once no one has a fault.
        if members
            .iter()
            .all(|m| m.state() == State::Init || m.effective_priority().is_some())
        {
            for m in members.iter_mut() {
                if m.state() == State::Fault {
                    m.become_backup(now, Reason::FaultCleared);
                }
            }
        }
    }
    actions
}
