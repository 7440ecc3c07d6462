#!/usr/bin/env bash
# Captures real Linux DMA traces: boots a Debian kernel in QEMU on a q35 machine with an emulated
# Intel VT-d IOMMU (-device intel-iommu, intel_iommu=on), an e1000 NIC and an NVMe disk whose DMA
# goes through it, enables the iommu:map/iommu:unmap trace events (and dma:* where the kernel has
# them), downloads a file over the NIC from a server on the host's loopback, reads the disk, and
# writes the trace text: qemu-e1000-<mode>.txt (the download) and qemu-nvme-<mode>.txt (the disk
# read), once with iommu.strict=1 and once in the kernel's default lazy mode.
#
# Needs Debian's qemu-system-x86, linux-image-amd64, busybox-static and cpio (apt-get install).
# Usage: traces/capture/capture.sh [OUT_DIR]   (default traces/capture/out)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="${1:-$HERE/out}"
KVER="${KVER:-$(ls /lib/modules | sort -V | tail -1)}"
KERNEL="/boot/vmlinuz-$KVER"
MODDIR="/lib/modules/$KVER"
for need in qemu-system-x86_64 cpio busybox; do command -v "$need" >/dev/null || { echo "missing $need: apt-get install -y qemu-system-x86 busybox-static cpio linux-image-amd64" >&2; exit 2; }; done
[ -f "$KERNEL" ] || { echo "missing $KERNEL: apt-get install -y linux-image-amd64" >&2; exit 2; }
mkdir -p "$OUT"
WORK="$(mktemp -d)"
trap 'kill $HTTP_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT

# --- initramfs: static busybox, the NIC and NVMe drivers with their dependencies, /init ----------
ROOT="$WORK/root"
mkdir -p "$ROOT"/{bin,sbin,proc,sys,dev,tmp,mods}
cp "$(command -v busybox)" "$ROOT/bin/busybox"
for tool in sh mount insmod ifconfig route wget dd cat echo sleep poweroff mkdir ls; do ln -s busybox "$ROOT/bin/$tool"; done
mods=()
add_module() { # the module and, first, what it depends on (from modules.dep)
  local path deps
  path="$(grep -E "^kernel/.*/$1\.ko:" "$MODDIR/modules.dep" | head -1)"
  [ -n "$path" ] || return 0
  deps="${path#*:}"
  for d in $(echo "$deps" | tr ' ' '\n' | tac); do add_path "$d"; done
  add_path "${path%%:*}"
}
add_path() { local f="$1"; for m in "${mods[@]:-}"; do [ "$m" = "$f" ] && return 0; done; mods+=("$f"); cp "$MODDIR/$f" "$ROOT/mods/"; }
add_module crct10dif_generic
add_module e1000
add_module nvme
printf '%s\n' "${mods[@]}" | xargs -n1 basename > "$ROOT/mods/order"

cat > "$ROOT/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
for m in $(cat /mods/order); do insmod /mods/$m 2>/dev/null; done
sleep 1
T=/sys/kernel/tracing
echo 16384 > $T/buffer_size_kb
echo 1 > $T/events/iommu/map/enable
echo 1 > $T/events/iommu/unmap/enable
[ -d $T/events/dma ] && echo 1 > $T/events/dma/enable
ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up
route add default gw 10.0.2.2
# Two phases, one trace each: iommu: events name no device, so one device per trace keeps
# the attribution exact (the NIC's and the disk's domains may use the same IOVAs at once).
echo > $T/trace
echo "capture: network" > /dev/ttyS0
wget -q -O /dev/null http://10.0.2.2:HTTP_PORT/blob
echo 0 > $T/tracing_on
cat $T/trace > /dev/ttyS1
echo > $T/trace
echo 1 > $T/tracing_on
echo "capture: disk" > /dev/ttyS0
dd if=/dev/nvme0n1 of=/dev/null bs=128k count=128 2>/dev/null
echo 0 > $T/tracing_on
cat $T/trace > /dev/ttyS2
echo "capture: done" > /dev/ttyS0
poweroff -f
INIT

# --- a file to download, served on the host's loopback (QEMU user networking maps 10.0.2.2 to it) --
mkdir -p "$WORK/www"
head -c $((8 * 1024 * 1024)) /dev/urandom > "$WORK/www/blob"
HTTP_PORT="${HTTP_PORT:-18080}"
(cd "$WORK/www" && exec python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1 >/dev/null 2>&1) &
HTTP_PID=$!
sed -i "s/HTTP_PORT/$HTTP_PORT/" "$ROOT/init"
chmod +x "$ROOT/init"
(cd "$ROOT" && find . | cpio -o -H newc --quiet | gzip -9) > "$WORK/initrd.gz"
truncate -s 64M "$WORK/disk.img"
sleep 1

# KVM is used only when asked (ACCEL=kvm): nested virtualization hosts often hang under it.
ACCEL="${ACCEL:-tcg}"
for mode in strict lazy; do
  strict=1; [ "$mode" = lazy ] && strict=0
  echo "booting Linux $KVER ($mode, $ACCEL)..." >&2
  timeout "${CAPTURE_TIMEOUT:-900}" qemu-system-x86_64 \
    -machine q35,accel=$ACCEL -cpu max -m 1024 -smp 2 \
    -device intel-iommu \
    -kernel "$KERNEL" -initrd "$WORK/initrd.gz" \
    -append "console=ttyS0 quiet intel_iommu=on iommu.strict=$strict rdinit=/init panic=-1" \
    -netdev user,id=n0 -device e1000,netdev=n0 \
    -drive file="$WORK/disk.img",if=none,id=d0,format=raw -device nvme,drive=d0,serial=dmareplay \
    -display none -monitor none -no-reboot \
    -serial file:"$OUT/console-$mode.log" -serial file:"$OUT/qemu-e1000-$mode.txt" -serial file:"$OUT/qemu-nvme-$mode.txt"
  for dev in e1000 nvme; do echo "  $(grep -c ' map: ' "$OUT/qemu-$dev-$mode.txt" || true) iommu:map events in $OUT/qemu-$dev-$mode.txt" >&2; done
done
echo "kernel $KVER; $(qemu-system-x86_64 --version | head -1)" > "$OUT/VERSIONS"
