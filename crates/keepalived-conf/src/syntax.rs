//! Block structure: lines of words -> a tree of `keyword args… [{ children }]` nodes.
//!
//! A block opens with `{` at the end of the keyword's line or alone on the next line,
//! and closes with `}` anywhere; several items may share one line (`{ a b }`).

use crate::codes;
use crate::lexer::{Line, Word};
use conf_diag::{Diagnostic, Diagnostics, Span};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub keyword: Word,
    pub args: Vec<Word>,
    pub block: Option<Block>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub open: Span,
    pub close: Option<Span>,
    pub children: Vec<Node>,
}

impl Node {
    /// Span of the keyword and its arguments (not the block).
    pub fn head_span(&self) -> Span {
        self.args
            .last()
            .map(|a| self.keyword.span.to(a.span))
            .unwrap_or(self.keyword.span)
    }

    pub fn children(&self) -> &[Node] {
        self.block
            .as_ref()
            .map(|b| b.children.as_slice())
            .unwrap_or(&[])
    }
}

struct Frame {
    nodes: Vec<Node>,
    /// The node that owns this block (None for the top level), with the `{` span.
    owner: Option<(Node, Span)>,
}

/// Build the tree. Problems with braces go to `diags`; the tree is still returned.
pub fn parse(lines: &[Line], diags: &mut Diagnostics) -> Vec<Node> {
    let mut stack: Vec<Frame> = vec![Frame {
        nodes: Vec::new(),
        owner: None,
    }];
    for line in lines {
        let mut seg: Vec<Word> = Vec::new();
        let mut seg_on_this_line = false;
        for w in &line.words {
            if w.is_open() {
                let top = stack.len() - 1;
                let owner = if !seg.is_empty() {
                    Some(make_node(std::mem::take(&mut seg)))
                } else if !seg_on_this_line {
                    // `{` alone at the start of a line opens the block of the previous item.
                    match stack[top].nodes.last() {
                        Some(n) if n.block.is_none() => stack[top].nodes.pop(),
                        _ => None,
                    }
                } else {
                    None
                };
                match owner {
                    Some(node) => stack.push(Frame {
                        nodes: Vec::new(),
                        owner: Some((node, w.span)),
                    }),
                    None => {
                        diags.push(
                            Diagnostic::error(codes::BRACE, "`{` without a keyword to open")
                                .at(w.span)
                                .help(
                                    "a block starts with its keyword, e.g. `virtual_ipaddress {`",
                                ),
                        );
                        // Keep the structure balanced so the matching `}` does not cascade.
                        stack.push(Frame {
                            nodes: Vec::new(),
                            owner: None,
                        });
                    }
                }
                seg_on_this_line = true;
            } else if w.is_close() {
                if !seg.is_empty() {
                    let node = make_node(std::mem::take(&mut seg));
                    let top = stack.len() - 1;
                    stack[top].nodes.push(node);
                }
                if stack.len() == 1 {
                    diags.push(
                        Diagnostic::error(codes::BRACE, "`}` closes no open block")
                            .at(w.span)
                            .label("unmatched")
                            .help("remove it, or check the `{` of the block above"),
                    );
                } else if let Some(frame) = stack.pop() {
                    close_frame(&mut stack, frame, Some(w.span));
                }
                seg_on_this_line = true;
            } else {
                seg.push(w.clone());
            }
        }
        if !seg.is_empty() {
            let top = stack.len() - 1;
            stack[top].nodes.push(make_node(seg));
        }
    }
    while stack.len() > 1 {
        if let Some(frame) = stack.pop() {
            if let Some((owner, open)) = &frame.owner {
                diags.push(
                    Diagnostic::error(
                        codes::BRACE,
                        format!("block `{}` is never closed", owner.keyword.text),
                    )
                    .at(*open)
                    .label("this `{` has no matching `}`")
                    .help("add `}` at the end of the block"),
                );
            }
            close_frame(&mut stack, frame, None);
        }
    }
    stack.pop().map(|f| f.nodes).unwrap_or_default()
}

fn close_frame(stack: &mut [Frame], frame: Frame, close: Option<Span>) {
    let top = stack.len() - 1;
    match frame.owner {
        Some((mut node, open)) => {
            node.block = Some(Block {
                open,
                close,
                children: frame.nodes,
            });
            stack[top].nodes.push(node);
        }
        // A stray `{`: keep its contents at the outer level.
        None => stack[top].nodes.extend(frame.nodes),
    }
}

fn make_node(mut words: Vec<Word>) -> Node {
    let keyword = words.remove(0);
    Node {
        keyword,
        args: words,
        block: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::{LexOptions, Lexer};
    use conf_diag::MemLoader;

    fn tree(text: &str) -> (Vec<Node>, Diagnostics) {
        let loader = MemLoader::new();
        let opts = LexOptions::default();
        let mut lx = Lexer::new(&loader, &opts);
        lx.lex_text("t", text);
        let mut d = Diagnostics::new();
        (parse(&lx.lines, &mut d), d)
    }

    fn shape(nodes: &[Node]) -> String {
        nodes
            .iter()
            .map(|n| {
                let mut s = n.keyword.text.clone();
                for a in &n.args {
                    s.push(' ');
                    s.push_str(&a.text);
                }
                if let Some(b) = &n.block {
                    s.push_str(&format!("{{{}}}", shape(&b.children)));
                }
                s
            })
            .collect::<Vec<_>>()
            .join(";")
    }

    #[test]
    fn braces_same_and_next_line() {
        let (t, d) = tree("a x {\n b 1\n c\n {\n d\n }\n}\ne { f g } h\n");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(shape(&t), "a x{b 1;c{d}};e{f g};h");
    }

    #[test]
    fn unclosed_and_unmatched() {
        let (t, d) = tree("a {\n b\n");
        assert_eq!(shape(&t), "a{b}");
        assert_eq!(d.len(), 1);
        let (_, d) = tree("a\n}\n");
        assert_eq!(d.len(), 1);
        let (_, d) = tree("{\n x\n}\n");
        assert_eq!(d.len(), 1);
    }
}
