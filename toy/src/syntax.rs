//! The toy language's syntax: a lexer and a recursive-descent parser into [`Program`].
//!
//! ```text
//! extern fn print(x);                   # an imported function
//! var counter = 0;                      # a writable global (i64)
//! string greeting = "hello";            # read-only bytes
//! table ops = [add, sub];               # read-only function pointers
//! pointer tail = &greeting + 2;         # a read-only pointer to data
//! fn add(a, b) { return a + b; }
//! fn main(n) {
//!     let i = 0;
//!     while i < n { counter = counter + 1; i = i + 1; }
//!     return ops[1](n, 1) + greeting[0] + tail[0][1];
//! }
//! ```
//! Every value is an i64. `name[i]` loads the i-th pointer of a table or pointer object
//! and the i-th byte of anything else; `e(args)` calls a function pointer; `&f` and `&d`
//! are the addresses of a function and of a data object.

/// A parsed program.
#[derive(Debug, Default)]
pub struct Program {
    /// Top-level items in source order.
    pub items: Vec<Item>,
}

/// A top-level item.
#[derive(Debug)]
pub enum Item {
    /// `extern fn name(params);`
    Extern { name: String, arity: usize },
    /// `fn name(params) { body }`
    Func {
        name: String,
        params: Vec<String>,
        body: Vec<Stmt>,
    },
    /// `var name = value;`
    Var { name: String, init: i64 },
    /// `string name = "text";`
    Str { name: String, text: String },
    /// `table name = [f, g];`
    Table { name: String, funcs: Vec<String> },
    /// `pointer name = &data + addend;`
    Pointer {
        name: String,
        target: String,
        addend: i64,
    },
}

/// A statement.
#[derive(Debug)]
pub enum Stmt {
    /// `let name = e;`
    Let(String, Expr),
    /// `name = e;`
    Assign(String, Expr),
    /// `if c { .. } else { .. }`
    If(Expr, Vec<Stmt>, Vec<Stmt>),
    /// `while c { .. }`
    While(Expr, Vec<Stmt>),
    /// `return e;`
    Return(Expr),
    /// `e;`
    Expr(Expr),
}

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// An expression.
#[derive(Debug)]
pub enum Expr {
    /// An integer literal.
    Int(i64),
    /// A local, a global variable, or a data object's address.
    Name(String),
    /// `&name`: the address of a function or data object.
    AddrOf(String),
    /// `-e`
    Neg(Box<Expr>),
    /// `a op b`
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `base[index]`
    Index(Box<Expr>, Box<Expr>),
    /// `callee(args)`: direct when the callee is a function's name, else through a pointer.
    Call(Box<Expr>, Vec<Expr>),
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Int(i64),
    Name(String),
    Str(String),
    Punct(&'static str),
}

const PUNCTS: [&str; 21] = [
    "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "=", "(", ")", "{", "}", "[", "]",
    ",", ";", "&",
];

fn lex(src: &str) -> Result<Vec<(Token, usize)>, String> {
    let mut tokens = Vec::new();
    let mut rest = src;
    let line = |rest: &str| src[..src.len() - rest.len()].lines().count().max(1);
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
        } else if c == '#' {
            rest = rest.find('\n').map_or("", |n| &rest[n..]);
        } else if c.is_ascii_digit() {
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            let value = rest[..end]
                .parse()
                .map_err(|e| format!("line {}: {e}", line(rest)))?;
            tokens.push((Token::Int(value), line(rest)));
            rest = &rest[end..];
        } else if c.is_alphabetic() || c == '_' {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            tokens.push((Token::Name(rest[..end].to_string()), line(rest)));
            rest = &rest[end..];
        } else if c == '"' {
            let end = rest[1..]
                .find('"')
                .ok_or_else(|| format!("line {}: unterminated string", line(rest)))?;
            let text = rest[1..=end].replace("\\n", "\n");
            tokens.push((Token::Str(text), line(rest)));
            rest = &rest[end + 2..];
        } else if let Some(p) = PUNCTS.iter().find(|p| rest.starts_with(**p)) {
            tokens.push((Token::Punct(p), line(rest)));
            rest = &rest[p.len()..];
        } else {
            return Err(format!("line {}: unexpected `{c}`", line(rest)));
        }
    }
    Ok(tokens)
}

/// Parse a program.
pub fn parse(src: &str) -> Result<Program, String> {
    let mut p = Parser {
        tokens: lex(src)?,
        pos: 0,
    };
    let mut program = Program::default();
    while p.pos < p.tokens.len() {
        program.items.push(p.item()?);
    }
    Ok(program)
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|(t, _)| t)
    }

    fn error<T>(&self, what: &str) -> Result<T, String> {
        let line = self.tokens.get(self.pos).map_or(0, |(_, l)| *l);
        let found = self
            .peek()
            .map_or("the end".to_string(), |t| format!("{t:?}"));
        Err(format!("line {line}: expected {what}, found {found}"))
    }

    fn is(&self, punct: &str) -> bool {
        matches!(self.peek(), Some(Token::Punct(p)) if *p == punct)
    }

    fn eat(&mut self, punct: &str) -> bool {
        let found = self.is(punct);
        self.pos += usize::from(found);
        found
    }

    fn expect(&mut self, punct: &str) -> Result<(), String> {
        if self.eat(punct) {
            Ok(())
        } else {
            self.error(&format!("`{punct}`"))
        }
    }

    fn keyword(&mut self, word: &str) -> bool {
        let found = self.peek() == Some(&Token::Name(word.to_string()));
        self.pos += usize::from(found);
        found
    }

    fn name(&mut self) -> Result<String, String> {
        match self.peek().cloned() {
            Some(Token::Name(n)) => {
                self.pos += 1;
                Ok(n)
            }
            _ => self.error("a name"),
        }
    }

    fn int(&mut self) -> Result<i64, String> {
        let negative = self.eat("-");
        match self.peek().cloned() {
            Some(Token::Int(v)) => {
                self.pos += 1;
                Ok(if negative { v.wrapping_neg() } else { v })
            }
            _ => self.error("an integer"),
        }
    }

    fn list<T>(
        &mut self,
        close: &str,
        mut each: impl FnMut(&mut Self) -> Result<T, String>,
    ) -> Result<Vec<T>, String> {
        let mut items = Vec::new();
        while !self.eat(close) {
            if !items.is_empty() {
                self.expect(",")?;
            }
            items.push(each(self)?);
        }
        Ok(items)
    }

    fn item(&mut self) -> Result<Item, String> {
        if self.keyword("extern") {
            if !self.keyword("fn") {
                return self.error("`fn`");
            }
            let name = self.name()?;
            self.expect("(")?;
            let arity = self.list(")", Self::name)?.len();
            self.expect(";")?;
            return Ok(Item::Extern { name, arity });
        }
        if self.keyword("fn") {
            let name = self.name()?;
            self.expect("(")?;
            let params = self.list(")", Self::name)?;
            let body = self.block()?;
            return Ok(Item::Func { name, params, body });
        }
        let item = if self.keyword("var") {
            let name = self.name()?;
            self.expect("=")?;
            Item::Var {
                name,
                init: self.int()?,
            }
        } else if self.keyword("string") {
            let name = self.name()?;
            self.expect("=")?;
            let Some(Token::Str(text)) = self.peek().cloned() else {
                return self.error("a string");
            };
            self.pos += 1;
            Item::Str { name, text }
        } else if self.keyword("table") {
            let name = self.name()?;
            self.expect("=")?;
            self.expect("[")?;
            Item::Table {
                name,
                funcs: self.list("]", Self::name)?,
            }
        } else if self.keyword("pointer") {
            let name = self.name()?;
            self.expect("=")?;
            self.expect("&")?;
            let target = self.name()?;
            let addend = if self.eat("+") { self.int()? } else { 0 };
            Item::Pointer {
                name,
                target,
                addend,
            }
        } else {
            return self.error("`fn`, `extern`, `var`, `string`, `table` or `pointer`");
        };
        self.expect(";")?;
        Ok(item)
    }

    fn block(&mut self) -> Result<Vec<Stmt>, String> {
        self.expect("{")?;
        let mut stmts = Vec::new();
        while !self.eat("}") {
            stmts.push(self.stmt()?);
        }
        Ok(stmts)
    }

    fn stmt(&mut self) -> Result<Stmt, String> {
        if self.keyword("let") {
            let name = self.name()?;
            self.expect("=")?;
            let value = self.expr()?;
            self.expect(";")?;
            return Ok(Stmt::Let(name, value));
        }
        if self.keyword("if") {
            let cond = self.expr()?;
            let then = self.block()?;
            let otherwise = if self.keyword("else") {
                if self.peek() == Some(&Token::Name("if".into())) {
                    vec![self.stmt()?]
                } else {
                    self.block()?
                }
            } else {
                Vec::new()
            };
            return Ok(Stmt::If(cond, then, otherwise));
        }
        if self.keyword("while") {
            let cond = self.expr()?;
            return Ok(Stmt::While(cond, self.block()?));
        }
        let stmt = if self.keyword("return") {
            Stmt::Return(self.expr()?)
        } else if matches!(self.peek(), Some(Token::Name(_)))
            && self.tokens.get(self.pos + 1).map(|(t, _)| t) == Some(&Token::Punct("="))
        {
            let name = self.name()?;
            self.expect("=")?;
            Stmt::Assign(name, self.expr()?)
        } else {
            Stmt::Expr(self.expr()?)
        };
        self.expect(";")?;
        Ok(stmt)
    }

    fn expr(&mut self) -> Result<Expr, String> {
        let left = self.sum()?;
        let ops = [
            ("==", BinOp::Eq),
            ("!=", BinOp::Ne),
            ("<=", BinOp::Le),
            (">=", BinOp::Ge),
            ("<", BinOp::Lt),
            (">", BinOp::Gt),
        ];
        for (punct, op) in ops {
            if self.eat(punct) {
                return Ok(Expr::Binary(op, Box::new(left), Box::new(self.sum()?)));
            }
        }
        Ok(left)
    }

    fn sum(&mut self) -> Result<Expr, String> {
        let mut left = self.product()?;
        loop {
            let op = if self.eat("+") {
                BinOp::Add
            } else if self.eat("-") {
                BinOp::Sub
            } else {
                return Ok(left);
            };
            left = Expr::Binary(op, Box::new(left), Box::new(self.product()?));
        }
    }

    fn product(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        loop {
            let op = if self.eat("*") {
                BinOp::Mul
            } else if self.eat("/") {
                BinOp::Div
            } else if self.eat("%") {
                BinOp::Rem
            } else {
                return Ok(left);
            };
            left = Expr::Binary(op, Box::new(left), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat("-") {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        let mut e = self.primary()?;
        loop {
            if self.eat("[") {
                let index = self.expr()?;
                self.expect("]")?;
                e = Expr::Index(Box::new(e), Box::new(index));
            } else if self.eat("(") {
                e = Expr::Call(Box::new(e), self.list(")", Self::expr)?);
            } else {
                return Ok(e);
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, String> {
        match self.peek().cloned() {
            Some(Token::Int(v)) => {
                self.pos += 1;
                Ok(Expr::Int(v))
            }
            Some(Token::Name(n)) => {
                self.pos += 1;
                Ok(Expr::Name(n))
            }
            Some(Token::Punct("&")) => {
                self.pos += 1;
                Ok(Expr::AddrOf(self.name()?))
            }
            Some(Token::Punct("(")) => {
                self.pos += 1;
                let e = self.expr()?;
                self.expect(")")?;
                Ok(e)
            }
            _ => self.error("an expression"),
        }
    }
}
