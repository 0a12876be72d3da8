//! Opening a kernel: a file picker for a multiboot ELF (a kvm-unit-tests `.flat`), the command
//! line to append (e.g. `vmrun`), and drag-and-drop handlers for the code area.
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// A picked or dropped file: its name and bytes, with the command line to boot it with.
#[derive(Clone, Debug, PartialEq)]
pub struct PickedKernel {
    pub name: String,
    pub bytes: Vec<u8>,
    pub append: String,
}

#[derive(Properties, PartialEq)]
pub struct KernelPickerProps {
    /// The command line the next kernel is opened with.
    pub append: AttrValue,
    pub on_append: Callback<String>,
    pub on_open: Callback<PickedKernel>,
}

/// Reads `file` and emits it with `append` (an unreadable file arrives as no bytes, which the
/// loader refuses with its error).
pub fn read_file(file: web_sys::File, append: String, on_open: Callback<PickedKernel>) {
    wasm_bindgen_futures::spawn_local(async move {
        let buf = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await;
        let bytes = buf.map(|b| js_sys::Uint8Array::new(&b).to_vec()).unwrap_or_default();
        on_open.emit(PickedKernel { name: file.name(), bytes, append });
    });
}

/// `ondragover` and `ondrop` for an element that takes a dropped kernel file.
pub fn drop_handlers(append: String, on_open: Callback<PickedKernel>) -> (Callback<DragEvent>, Callback<DragEvent>) {
    let over = Callback::from(|e: DragEvent| e.prevent_default());
    let drop = Callback::from(move |e: DragEvent| {
        e.prevent_default();
        // event.dataTransfer.files, read through JS (keeps the web-sys feature list as it is).
        let files = js_sys::Reflect::get(&e, &"dataTransfer".into())
            .and_then(|d| js_sys::Reflect::get(&d, &"files".into()))
            .ok()
            .and_then(|f| f.dyn_into::<web_sys::FileList>().ok());
        let Some(file) = files.and_then(|f| f.get(0)) else { return };
        read_file(file, append.clone(), on_open.clone());
    });
    (over, drop)
}

#[function_component(KernelPicker)]
pub fn kernel_picker(p: &KernelPickerProps) -> Html {
    let field = use_node_ref();
    let open = {
        let (on_open, append, field) = (p.on_open.clone(), p.append.to_string(), field.clone());
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
            input.set_value("");
            // The field as it reads now (its last input may not have re-rendered this yet).
            let append = field.cast::<web_sys::HtmlInputElement>().map_or(append.clone(), |i| i.value());
            read_file(file, append, on_open.clone());
        })
    };
    let on_append = {
        let cb = p.on_append.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(i) = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                cb.emit(i.value());
            }
        })
    };
    html! {
        <div class="kernel-picker">
            <label class="button" title="Boot a multiboot v1 kernel (ELF), e.g. kvm-unit-tests' svm.flat; you can also drop it on the code">
                {"Open kernel"}
                <input type="file" accept=".flat,.elf,application/octet-stream" onchange={open} data-testid="open-kernel" class="visually-hidden" />
            </label>
            <input type="text" class="kernel-append" ref={field} placeholder="append (e.g. vmrun)" value={p.append.clone()}
                oninput={on_append} aria-label="Kernel command line" data-testid="kernel-append"
                title="The kernel command line after its name (kvm-unit-tests: the tests to run)" />
        </div>
    }
}
