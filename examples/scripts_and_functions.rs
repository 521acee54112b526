//! Lua scripts and functions with typed results.
//!
//! `REDIS_URL=redis://127.0.0.1:6379 cargo run --example scripts_and_functions`

use respec::prelude::*;
use respec::script::Script;
use respec::Pipeline;

#[tokio::main]
async fn main() -> respec::Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let client = Client::open(&url)?;

    // A script runs by EVALSHA; the first time the server does not know it,
    // respec loads it (NOSCRIPT -> SCRIPT LOAD) and runs it again.
    client.script_flush().await?;
    let add = Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    let total: i64 = add.key("ex:script").arg(5).run(&client).await?;
    println!("after the first run (loaded on the way): {total}");
    let total: i64 = add.key("ex:script").arg(10).run(&client).await?;
    println!("after the second run (by EVALSHA only): {total}");

    // Inside a pipeline too: scripts the server lacks are loaded first.
    client.script_flush().await?;
    let mut pipe = Pipeline::new();
    pipe.add_script(add.key("ex:script").arg(1));
    pipe.add(respec::commands::get("ex:script"));
    let (n, text): (i64, Option<String>) = pipe.query(&client).await?;
    println!("pipelined script: {n}, GET says {text:?}");

    // Functions: load a library once, call its functions by name.
    let lib = "#!lua name=exlib\n\
               redis.register_function('double', function(keys, args) return tonumber(args[1]) * 2 end)\n\
               redis.register_function{function_name='peek', \
               callback=function(keys, args) return redis.call('GET', keys[1]) end, \
               flags={'no-writes'}}";
    let name = client.function_load(lib).replace().await?;
    println!("loaded library {name}");
    let doubled: i64 = client.fcall("double").arg([21]).reply().await?;
    println!("double(21) = {doubled}");
    let seen: Option<String> = client.fcall_ro("peek").key(["ex:script"]).reply().await?;
    println!("peek(ex:script) = {seen:?}");
    client.function_delete("exlib").await?;
    client.del(["ex:script"]).await?;
    Ok(())
}
