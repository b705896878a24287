#!/usr/bin/env bash
# Regenerates the seed corpora from text-format messages with protoc --encode.
# Run from anywhere; writes fuzz/corpus/<target>/. Seeds are committed, so this is only
# needed when the schemas change.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
proto=$here/../protocols/proto
enc() { protoc --proto_path="$proto" --encode="tidewire.v1.$1" tidewire/v1/device.proto tidewire/v1/edge.proto; }
c=$here/corpus

# envelope seeds: first byte selects the channel (0 status, 1 event, 2 presence, 3 result)
{ printf '\x00'; enc Envelope <<<'device_id:"r1" kind:DEVICE_KIND_RIDER site:"site1" status{rider{lat:52.5 lon:13.4 battery_pct:80 available:true carried_order_ids:"o1"}}'; } >"$c/envelope/status_rider"
{ printf '\x01'; enc Envelope <<<'device_id:"r1" kind:DEVICE_KIND_RIDER site:"site1" boot_id:"b1" seq:7 device_time_ms:1700000000000 event{type:"order.picked_up" priority:PRIORITY_HIGH attributes{key:"order" value:"o1"} outbox_floor_seq:5}'; } >"$c/envelope/event"
{ printf '\x02'; enc Envelope <<<'device_id:"r1" kind:DEVICE_KIND_RIDER site:"site1" boot_id:"b1" presence{online:false session_seq:3}'; } >"$c/envelope/presence_will"
{ printf '\x03'; enc Envelope <<<'device_id:"r1" kind:DEVICE_KIND_RIDER site:"site1" boot_id:"b1" seq:9 result{command_id:"c1" outcome:COMMAND_OUTCOME_OK message:"done"}'; } >"$c/envelope/result"
{ printf '\x01'; enc Envelope <<<'device_id:"r2" kind:DEVICE_KIND_RIDER site:"site1" boot_id:"b1" seq:7 event{type:"spoofed"}'; } >"$c/envelope/spoofed"

enc Command <<<'command_id:"c1" device_id:"p1" name:"set_brightness" args{key:"pct" value:"40"} deadline_ms:1700000060000' >"$c/command/set_brightness"
enc Command <<<'command_id:"" name:"reboot"' >"$c/command/missing_id"
enc DeviceAck <<<'device_id:"p1" up_to_seq:42' >"$c/device_ack/ack"

# An uncompressed frame around a two-item batch; bytes go in as octal escapes.
batch=$(enc EdgeBatch <<<'edge_id:"edge1" site:"site1" batch_id:12 items{envelope{device_id:"p1" kind:DEVICE_KIND_POSTER site:"site1" boot_id:"b" seq:1 event{type:"display.changed"}} edge_received_ms:1} items{envelope{device_id:"p1" kind:DEVICE_KIND_POSTER site:"site1" status{poster{creative_id:"cr1" brightness_pct:70}}}} spool_ids:11 spool_ids:12' | od -An -v -to1 | tr -s ' \n' ' ' | sed 's/ /\\/g; s/\\$//')
size=$(enc EdgeBatch <<<'edge_id:"edge1" site:"site1" batch_id:12 items{envelope{device_id:"p1" kind:DEVICE_KIND_POSTER site:"site1" boot_id:"b" seq:1 event{type:"display.changed"}} edge_received_ms:1} items{envelope{device_id:"p1" kind:DEVICE_KIND_POSTER site:"site1" status{poster{creative_id:"cr1" brightness_pct:70}}}} spool_ids:11 spool_ids:12' | wc -c)
enc BatchFrame <<<"compression:COMPRESSION_NONE raw_size:$size data:\"$batch\"" >"$c/batch_frame/plain_two_items"
enc BatchFrame <<<'compression:COMPRESSION_ZSTD raw_size:4000000000 data:"x"' >"$c/batch_frame/declares_huge"

printf 'tw/v1/site/site1/poster/p1/status' >"$c/topic/device_status"
printf 'tw/v1/edge/edge1/batch' >"$c/topic/edge_batch"
printf 'tw/v1/site/site1/poster/+/event' >"$c/topic/wildcard"
echo "seeds written under $c"
