import { aravis } from './aravis-library.ts';

/** One camera Aravis can see (GigE Vision on the local networks, USB3 Vision on the buses). */
export interface DiscoveredCamera {
  /** What `device_id` in a GenicamCamera config takes. */
  deviceId: string;
  vendor: string;
  model: string;
  serial: string;
  /** IP address for GigE Vision, bus path for USB3 Vision. */
  address: string;
  protocol: string;
}

/** Every camera Aravis finds now (GigE discovery waits for replies: about a second). */
export function discoverGenicamCameras(): DiscoveredCamera[] {
  const a = aravis();
  a.arv_update_device_list();
  const cameras: DiscoveredCamera[] = [];
  const n = a.arv_get_n_devices() as number;
  for (let i = 0; i < n; i++) {
    const text = (value: unknown) => (typeof value === 'string' ? value : '');
    cameras.push({
      deviceId: text(a.arv_get_device_id(i)),
      vendor: text(a.arv_get_device_vendor(i)),
      model: text(a.arv_get_device_model(i)),
      serial: text(a.arv_get_device_serial_nbr(i)),
      address: text(a.arv_get_device_address(i)),
      protocol: text(a.arv_get_device_protocol(i)),
    });
  }
  return cameras;
}
