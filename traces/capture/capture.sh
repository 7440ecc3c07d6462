#!/usr/bin/env bash
# Captures real Linux DMA traces: boots a Debian kernel in QEMU on a q35 machine with an emulated
# Intel VT-d IOMMU (-device intel-iommu, intel_iommu=on), an e1000 NIC and an NVMe disk whose DMA
# goes through it, enables the iommu:map/iommu:unmap trace events (and the whole dma: group where
# the kernel has it, Linux >= 6.12), writes the guest's PCI devices from sysfs, downloads a file
# over the NIC from a server on the host's loopback, reads the disk, and writes the trace text,
# once with iommu.strict=1 and once in the kernel's default lazy mode:
#   <P>-devices.csv      device,driver,pci_class of each /sys/bus/pci/devices/* (written first)
#   <P>-e1000-<mode>.txt the download
#   <P>-nvme-<mode>.txt  the disk read (128 KiB page-cache readahead: scatter-gather lists)
#   <P>-both-<mode>.txt  download and disk read at once (only with dma: events, which name the
#                        device; iommu: events do not): exercises attribution by device name
# <P> is PREFIX, by default "qemu" for Linux 6.1 (the names of the bundled 6.1 traces) and
# "qemu<major><minor>" for other kernels (qemu612 for 6.12).
#
# Needs Debian's qemu-system-x86, linux-image-amd64 (6.12: from bookworm-backports), busybox-static,
# cpio and xz-utils (apt-get install).
# Usage: [KVER=<uname -r>] traces/capture/capture.sh [OUT_DIR]   (default traces/capture/out;
# KVER defaults to the newest kernel in /lib/modules)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="${1:-$HERE/out}"
KVER="${KVER:-$(ls /lib/modules | sort -V | tail -1)}"
KERNEL="/boot/vmlinuz-$KVER"
MODDIR="/lib/modules/$KVER"
for need in qemu-system-x86_64 cpio busybox xz; do command -v "$need" >/dev/null || { echo "missing $need: apt-get install -y qemu-system-x86 busybox-static cpio xz-utils linux-image-amd64" >&2; exit 2; }; done
[ -f "$KERNEL" ] || { echo "missing $KERNEL: apt-get install -y linux-image-amd64" >&2; exit 2; }
KMAJOR="${KVER%%.*}"; KMINOR="${KVER#*.}"; KMINOR="${KMINOR%%[!0-9]*}"
if [ "$KMAJOR.$KMINOR" = 6.1 ]; then PREFIX="${PREFIX:-qemu}"; else PREFIX="${PREFIX:-qemu$KMAJOR$KMINOR}"; fi
# Kernels with dma: events (Linux >= 6.12) get more than the 6.1 recipe, whose outputs stay as they were:
# the third phase (it needs dma: events and a fifth serial port, a PCI 16550, which does no DMA), a
# larger disk read, and a page cache read and dropped before each traced read (see scatter() in /init below).
if [ "$KMAJOR" -gt 6 ] || { [ "$KMAJOR" -eq 6 ] && [ "$KMINOR" -ge 12 ]; }; then DMA_EVENTS=1; else DMA_EVENTS=0; fi
mkdir -p "$OUT"
WORK="$(mktemp -d)"
HTTP_PID=
trap '[ -z "$HTTP_PID" ] || kill $HTTP_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT

# --- initramfs: static busybox, the NIC and NVMe drivers with their dependencies, /init ----------
ROOT="$WORK/root"
mkdir -p "$ROOT"/{bin,sbin,proc,sys,dev,tmp,mods}
cp "$(command -v busybox)" "$ROOT/bin/busybox"
for tool in taskset sh mount insmod ifconfig route wget dd cat echo sleep poweroff mkdir ls basename readlink uname; do ln -s busybox "$ROOT/bin/$tool"; done
mods=()
add_module() { # the module and, first, what it depends on (from modules.dep)
  local path deps
  path="$(grep -E "^kernel/.*/$1\.ko(\.xz|\.zst|\.gz)?:" "$MODDIR/modules.dep" | head -1 || true)"  # built in: nothing to add
  [ -n "$path" ] || return 0
  deps="${path#*:}"
  for d in $(echo "$deps" | tr ' ' '\n' | tac); do add_path "$d"; done
  add_path "${path%%:*}"
}
add_path() { # copied uncompressed (Debian compresses 6.12's modules with xz; busybox insmod takes .ko)
  local f="$1" m ko
  for m in "${mods[@]:-}"; do [ "$m" = "$f" ] && return 0; done
  mods+=("$f")
  ko="$ROOT/mods/$(basename "${f%.ko*}").ko"
  case "$f" in
    *.ko.xz) xz -dc "$MODDIR/$f" > "$ko" ;;
    *.ko.zst) zstd -qdc "$MODDIR/$f" > "$ko" ;;
    *.ko.gz) gzip -dc "$MODDIR/$f" > "$ko" ;;
    *) cp "$MODDIR/$f" "$ko" ;;
  esac
}
add_module crct10dif_generic
add_module e1000
add_module nvme
for f in "${mods[@]}"; do basename "${f%.ko*}.ko"; done > "$ROOT/mods/order"

cat > "$ROOT/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
for m in $(cat /mods/order); do insmod /mods/$m 2>/dev/null; done
sleep 1
for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/nvme0n1 ] && [ -d /sys/class/net/eth0 ] && break; sleep 1; done
echo "capture: Linux $(uname -r); modules:" $(cat /mods/order) > /dev/ttyS0
T=/sys/kernel/tracing
# Scattered page cache for the traced disk read (SCATTER=1): a fresh guest's readahead often gets
# physically contiguous pages (one dma_map_page of 128 KiB per request, no scatter-gather list).
# So the disk is first read untraced, its pages taken (mostly) in ascending order from free memory,
# and the cache dropped: that returns them, in that order, to the per-CPU free list, which hands
# them out last-in first-out, so the traced read gets descending pages, which the block layer
# cannot merge (32-entry lists per 128 KiB request), closer to a long-running machine's page cache
# than a fresh guest's. Free lists are per CPU: drops and reads run on CPU 1 (PIN), else the pages
# go elsewhere, and in the third phase wget runs on CPU 0 (NIC_PIN), where the NIC's interrupts go:
# freeing the NIC's high-order receive pages drains a CPU's whole list back to the buddy allocator.
# And a CPU's list may hold 1/8 of the zone's pages / 2 CPUs, fixed (the kernel's largest;
# auto-tuned it held up to ~10,000 pages here, and only the first 100-400 requests were scattered).
# Each step raised the share of 32-entry lists; none of it changes how a DMA is mapped.
PIN="PIN_CMD"
NIC_PIN="NIC_PIN_CMD"
drop_cache() { $PIN sh -c 'echo 3 > /proc/sys/vm/drop_caches'; }
scatter() {
  echo 8 > /proc/sys/vm/percpu_pagelist_high_fraction
  drop_cache
  $PIN dd if=/dev/nvme0n1 of=/dev/null bs=128k count=DISK_BLOCKS 2>/dev/null
  drop_cache
}
echo 16384 > $T/buffer_size_kb
echo 1 > $T/events/iommu/map/enable
echo 1 > $T/events/iommu/unmap/enable
[ -d $T/events/dma ] && echo 1 > $T/events/dma/enable
echo "capture: dma events:" $(ls $T/events/dma 2>/dev/null) > /dev/ttyS0
for e in iommu/map iommu/unmap dma/dma_map_page dma/dma_unmap_page dma/dma_map_sg dma/dma_unmap_sg; do
  [ -f $T/events/$e/format ] && echo "capture: $e: $(grep '^print fmt' $T/events/$e/format)" > /dev/ttyS0
done
# The PCI devices, before any phase: which driver has which device, to name the dma: events' devices.
echo "capture: devices" > /dev/ttyS0
{
  echo "device,driver,pci_class"
  for d in /sys/bus/pci/devices/*; do
    drv=""; [ -L $d/driver ] && drv=$(basename $(readlink $d/driver))
    echo "$(basename $d),$drv,$(cat $d/class)"
  done
} > /dev/ttyS3
ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up
route add default gw 10.0.2.2
# Phases, one trace each: iommu: events name no device, so one device per trace keeps
# the attribution exact (the NIC's and the disk's domains may use the same IOVAs at once).
echo > $T/trace
echo "capture: network" > /dev/ttyS0
wget -q -O /dev/null http://10.0.2.2:HTTP_PORT/blob
echo 0 > $T/tracing_on
cat $T/trace > /dev/ttyS1
echo > $T/trace
[ SCATTER = 1 ] && scatter
echo 1 > $T/tracing_on
echo "capture: disk" > /dev/ttyS0
$PIN dd if=/dev/nvme0n1 of=/dev/null bs=128k count=DISK_BLOCKS 2>/dev/null
echo 0 > $T/tracing_on
cat $T/trace > /dev/ttyS2
if [ -n "BOTH_TTY" ]; then
  # Both devices at once (dma: events name each DMA's device); the page cache is dropped so
  # that the disk is read again.
  if [ SCATTER = 1 ]; then scatter; else drop_cache; fi
  echo > $T/trace
  echo 1 > $T/tracing_on
  echo "capture: both" > /dev/ttyS0
  $NIC_PIN wget -q -O /dev/null http://10.0.2.2:HTTP_PORT/blob &
  $PIN dd if=/dev/nvme0n1 of=/dev/null bs=128k count=DISK_BLOCKS 2>/dev/null
  wait
  echo 0 > $T/tracing_on
  cat $T/trace > "BOTH_TTY"
fi
grep -E 'CPU|e1000|eth0|nvme' /proc/interrupts > /dev/ttyS0
echo "capture: done" > /dev/ttyS0
poweroff -f
INIT

# --- a file to download, served on the host's loopback (QEMU user networking maps 10.0.2.2 to it) --
mkdir -p "$WORK/www"
head -c $((8 * 1024 * 1024)) /dev/urandom > "$WORK/www/blob"
HTTP_PORT="${HTTP_PORT:-18080}"
(cd "$WORK/www" && exec python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1 >/dev/null 2>&1) &
HTTP_PID=$!
# MiB read in 128 KiB blocks: 16 on Linux 6.1 (as its bundled traces); 64 where there are dma:
# events: ~500 requests, most of them 32-entry scatter-gather lists, ~200 KB gzipped.
if [ "$DMA_EVENTS" = 1 ]; then DISK_MB="${DISK_MB:-64}"; else DISK_MB="${DISK_MB:-16}"; fi
both_tty=""; [ "$DMA_EVENTS" = 1 ] && both_tty=/dev/ttyS4   # the PCI UART comes after the 4 ISA ones
sed -i -e "s/HTTP_PORT/$HTTP_PORT/" -e "s/DISK_BLOCKS/$((DISK_MB * 8))/g" -e "s|BOTH_TTY|$both_tty|g" \
  -e "s/SCATTER/$DMA_EVENTS/g" -e "s/NIC_PIN_CMD/$([ "$DMA_EVENTS" = 1 ] && echo taskset 1)/" -e "s/PIN_CMD/$([ "$DMA_EVENTS" = 1 ] && echo taskset 2)/" "$ROOT/init"
chmod +x "$ROOT/init"
(cd "$ROOT" && find . | cpio -o -H newc --quiet | gzip -9) > "$WORK/initrd.gz"
truncate -s "$(( DISK_MB > 64 ? DISK_MB : 64 ))M" "$WORK/disk.img"
sleep 1

# KVM is used only when asked (ACCEL=kvm): nested virtualization hosts often hang under it.
ACCEL="${ACCEL:-tcg}"
phases="e1000 nvme"; [ "$DMA_EVENTS" = 1 ] && phases="$phases both"
for mode in strict lazy; do
  strict=1; [ "$mode" = lazy ] && strict=0
  extra=()
  [ "$DMA_EVENTS" = 1 ] && extra=(-chardev file,id=both,path="$OUT/$PREFIX-both-$mode.txt" -device pci-serial,chardev=both)
  echo "booting Linux $KVER ($mode, $ACCEL), writing $OUT/$PREFIX-*..." >&2
  timeout "${CAPTURE_TIMEOUT:-900}" qemu-system-x86_64 \
    -machine q35,accel=$ACCEL -cpu max -m 1024 -smp 2 \
    -device intel-iommu \
    -kernel "$KERNEL" -initrd "$WORK/initrd.gz" \
    -append "console=ttyS0 quiet intel_iommu=on iommu.strict=$strict rdinit=/init panic=-1" \
    -netdev user,id=n0 -device e1000,netdev=n0 \
    -drive file="$WORK/disk.img",if=none,id=d0,format=raw -device nvme,drive=d0,serial=dmareplay \
    "${extra[@]}" \
    -display none -monitor none -no-reboot \
    -serial file:"$OUT/console-$PREFIX-$mode.log" -serial file:"$OUT/$PREFIX-e1000-$mode.txt" -serial file:"$OUT/$PREFIX-nvme-$mode.txt" \
    -serial file:"$WORK/devices-$mode.csv"
  for dev in $phases; do
    f="$OUT/$PREFIX-$dev-$mode.txt"
    echo "  $(grep -c ' map: ' "$f" || true) iommu:map, $(grep -c ' dma_map_page: ' "$f" || true) dma_map_page, $(grep -c ' dma_map_sg: ' "$f" || true) dma_map_sg events in $f" >&2
  done
done
# The serial line wrote CRLF; both boots list the same machine.
tr -d '\r' < "$WORK/devices-strict.csv" > "$OUT/$PREFIX-devices.csv"
tr -d '\r' < "$WORK/devices-lazy.csv" | cmp -s - "$OUT/$PREFIX-devices.csv" || echo "warning: the lazy boot listed other PCI devices than the strict one" >&2
touch "$OUT/VERSIONS"
{ grep -v "^$PREFIX-\*: " "$OUT/VERSIONS" || true; echo "$PREFIX-*: kernel $KVER; $(qemu-system-x86_64 --version | head -1)"; } > "$WORK/VERSIONS"
mv "$WORK/VERSIONS" "$OUT/VERSIONS"
